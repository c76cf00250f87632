"""Every action the audit trail records, by name. Code compares with these, never with strings."""

from django.db import models


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETURNED = "returned", "Returned for changes"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    GRANT_PROVISIONED = "grant_provisioned", "Grant provisioned"
    EXPIRY_WARNING = "expiry_warning", "Expiry warning sent"
    ATTACHMENT_ADDED = "attachment_added", "Attachment added"
    ATTACHMENT_REMOVED = "attachment_removed", "Attachment removed"
    REVIEWER_INVITED = "reviewer_invited", "Reviewer invited"
    REVIEWED = "reviewed", "Reviewed"
    COMMENTED = "commented", "Commented"
    RELINQUISHED = "relinquished", "Relinquished"
    SUPERSEDED = "superseded", "Superseded by a renewal"
    ASSIGNED = "assigned", "Assigned to a steward"
