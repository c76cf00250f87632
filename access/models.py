"""Access requests, their tamper-evident audit trail, notifications and grants."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import connections, models
from django.db.models import Max, Q
from django.utils import timezone

from .events import AuditAction


class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned for changes"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    RELINQUISHED = "relinquished", "Relinquished"
    SUPERSEDED = "superseded", "Superseded by a renewal"


class PurposeCategory(models.TextChoices):
    """What the data will be used for, in the categories data access bodies ask about: the
    purposes of secondary use of the European Health Data Space regulation (research,
    innovation, public health, policy making, statistics, education), which the other data
    spaces share. Optional on a request; a decision policy may condition on it."""

    SCIENTIFIC_RESEARCH = "scientific_research", "Scientific research"
    PUBLIC_HEALTH = "public_health", "Public interest in public or occupational health"
    POLICY_MAKING = "policy_making", "Policy making and regulatory activities"
    OFFICIAL_STATISTICS = "official_statistics", "Official statistics"
    EDUCATION = "education", "Education and teaching"
    INNOVATION = "innovation", "Innovation and commercial development (including AI training)"
    OTHER = "other", "Other"


# A researcher has at most one of these per dataset: a second request would only duplicate it.
OPEN_STATES = (
    RequestState.DRAFT,
    RequestState.SUBMITTED,
    RequestState.RETURNED,
    RequestState.APPROVED,
)
# Waiting for a decision (or for the researcher): a renewal in one of these runs beside the
# approved request it renews, whose grant keeps working until the renewal is decided.
PENDING_STATES = (RequestState.DRAFT, RequestState.SUBMITTED, RequestState.RETURNED)


class AccessRequest(models.Model):
    """A researcher's request for a dataset (optionally some of its distributions)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    dataset = models.ForeignKey(
        "catalogue.Dataset", on_delete=models.PROTECT, related_name="access_requests"
    )
    # What was asked for: the whole dataset, or the files chosen. Never inferred from an empty
    # list: a chosen file that is removed must not turn the request into "everything".
    whole_dataset = models.BooleanField(
        default=True, help_text="Asked for every distribution of the dataset."
    )
    distributions = models.ManyToManyField(
        "catalogue.Distribution",
        blank=True,
        related_name="access_requests",
        help_text="The distributions chosen, when not asking for the whole dataset.",
    )
    # What was granted: frozen at approval (a file added later is not in it; a file removed
    # leaves it). The grant opens exactly these, and nothing when they are all gone.
    approved_distributions = models.ManyToManyField(
        "catalogue.Distribution",
        blank=True,
        related_name="approved_access_requests",
        help_text="The distributions the approval covers, fixed when it was approved.",
    )
    purpose = models.TextField()
    purpose_category = models.CharField(
        max_length=32, choices=PurposeCategory.choices, blank=True, default=""
    )
    project_title = models.CharField(max_length=300, blank=True)
    affiliation = models.CharField(max_length=300, blank=True)
    duration_days = models.PositiveIntegerField()
    licence_version = models.ForeignKey(
        "catalogue.LicenceVersion", on_delete=models.PROTECT, related_name="access_requests"
    )
    licence_accepted_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=RequestState.choices, default=RequestState.DRAFT
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(
        null=True, blank=True, help_text="When the stewards should have decided."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_access_requests",
    )
    decision_reason = models.TextField(blank=True)
    valid_until = models.DateTimeField(
        null=True, blank=True, help_text="When the approved access ends."
    )
    # The publisher's questions this request answered (the version checked at the last save or
    # submission), and the answers, key -> value. Empty when the publisher asks nothing.
    form_version = models.ForeignKey(
        "access.ApplicationFormVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_requests",
    )
    answers = models.JSONField(default=dict, blank=True)
    renews = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        help_text="The approved request this one asks to extend (a renewal).",
    )
    requester_orcid = models.CharField(
        max_length=19,
        blank=True,
        help_text="The researcher's ORCID iD, as the partner that submitted the request gave it.",
    )
    # A partner system that submitted the request for the researcher (access:request).
    submitted_by_client = models.ForeignKey(
        "accounts.PartnerClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submitted_access_requests",
        help_text="The partner client that submitted this request on the researcher's behalf.",
    )
    # The steward a decision policy routed the request to (every steward may still decide).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_access_requests",
        help_text="The steward a decision policy assigned this request to.",
    )

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["state", "deadline"], name="request_state_deadline"),
            models.Index(fields=["requester", "-created"], name="request_requester_created"),
            models.Index(fields=["dataset", "state"], name="request_dataset_state"),
            models.Index(fields=["submitted_by_client", "-created"], name="request_client_created"),
            # A worker's batch and the sweep look for approvals still waiting for their grant.
            models.Index(fields=["state", "decided_at"], name="request_state_decided"),
        ]
        constraints = [
            # A pending renewal is the one exception: it waits beside the approval it renews.
            models.UniqueConstraint(
                fields=["requester", "dataset"],
                condition=Q(state__in=OPEN_STATES)
                & ~(Q(renews__isnull=False) & Q(state__in=PENDING_STATES)),
                name="one_open_request_per_requester_and_dataset",
            ),
            models.UniqueConstraint(
                fields=["renews"],
                condition=Q(renews__isnull=False) & Q(state__in=PENDING_STATES),
                name="one_open_renewal_per_request",
            ),
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values), name="request_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_days__gte=1), name="request_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(purpose_category__in=["", *PurposeCategory.values]),
                name="request_purpose_category_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state=RequestState.APPROVED) | Q(valid_until__isnull=False),
                name="approved_request_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester} → {self.dataset} ({self.state})"


class AuditLogError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AccessEvent(models.Model):
    """One change of an access request. Events form a hash chain and are never changed.

    ``position`` orders every event of the installation; ``hash`` covers the event's content and
    the previous event's hash, so changing or removing any event breaks the chain from there on
    (``manage.py verify_audit_log``). The latest position and hash are also kept in
    :class:`AuditHead`, so that removing the newest events is detected too.

    An event is written first and placed in the chain (position, previous hash, hash) at the end
    of its transaction (``access.services.audit``); only its own transaction ever sees it
    unplaced, and PostgreSQL refuses to commit it so.
    """

    position = models.BigIntegerField(unique=True, null=True, editable=False)
    access_request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_events",
        help_text="Empty for actions of the system (automatic approval, expiry).",
    )
    # When the actor is a partner client's service user: the client, and its name as it was
    # (both covered by the hash, so the chain proves which system acted).
    actor_client = models.ForeignKey(
        "accounts.PartnerClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_events",
        help_text="The partner system that acted (through its service user).",
    )
    actor_client_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    comment = models.TextField(blank=True)
    created = models.DateTimeField()
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True, null=True)  # noqa: DJ001 - unplaced: none

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(position__isnull=True, hash__isnull=True, prev_hash="")
                | Q(position__isnull=False, hash__isnull=False),
                name="access_event_placed_whole",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.action} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditLogError("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogError("Audit events are never deleted.")


class AuditHead(models.Model):
    """The newest event's position and hash (one row). Appending locks it, which also orders
    concurrent appends into one chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    position = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_single_row")]

    def __str__(self) -> str:
        return f"audit head #{self.position}"


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """An e-mail, written in the transaction of the change it reports (an outbox): it is sent by
    a worker after commit, retried by a sweep until it goes out, and marked failed, with its last
    error, when it never does. The key makes each (event, recipient) one e-mail at most."""

    key = models.CharField(max_length=200, unique=True)
    event = models.ForeignKey(
        AccessEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    recipient = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    state = models.CharField(
        max_length=8, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="notification_pending_due",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=NotificationState.values), name="notification_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="sent_notification_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient} ({self.state})"


class GrantState(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    RELINQUISHED = "relinquished", "Relinquished"
    SUPERSEDED = "superseded", "Superseded by a renewal"


class Grant(models.Model):
    """A signed, time-limited, revocable right to download a dataset's files, provisioned by a
    worker from an approved request. One approved request has exactly one grant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    access_request = models.OneToOneField(
        AccessRequest, on_delete=models.PROTECT, related_name="grant"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants"
    )
    dataset = models.ForeignKey(
        "catalogue.Dataset", on_delete=models.PROTECT, related_name="grants"
    )
    state = models.CharField(max_length=16, choices=GrantState.choices, default=GrantState.ACTIVE)
    valid_from = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The grant's place in the token status lists (delivery.services.status_lists): given once,
    # never reused, so a revocation is one bit a verifier can look up offline.
    status_index = models.BigIntegerField(unique=True, editable=False)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["state", "expires_at"], name="grant_state_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("valid_from")), name="grant_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(state__in=GrantState.values), name="grant_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.pk} ({self.state})"

    def save(self, *args, **kwargs) -> None:
        if self.status_index is None:
            (self.status_index,) = grant_status_indexes_allocate(1, using=kwargs.get("using"))
        super().save(*args, **kwargs)

    @property
    def download_count(self) -> int:
        """How many downloads the grant's links served: a count of their records, not a counter
        on this row, so parallel downloads never queue on one row lock. Lists annotate it
        (``download_total``) to count in the same query."""
        annotated = getattr(self, "download_total", None)
        return annotated if annotated is not None else self.downloads.count()


# PostgreSQL hands out status indexes from this sequence (migration 0022 creates it): one
# statement for a whole batch of grants, no lock, never the same number twice, even across
# concurrent workers. A rolled-back batch leaves a gap: those indexes stay INVALID forever.
GRANT_STATUS_INDEX_SEQUENCE = "access_grant_status_index_seq"


def grant_status_indexes_allocate(count: int, *, using: str | None = None) -> list[int]:
    """``count`` fresh status indexes for new grants."""
    if count <= 0:
        return []
    connection = connections[using or "default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                [GRANT_STATUS_INDEX_SEQUENCE, count],
            )
            return [row[0] for row in cursor.fetchall()]
    # SQLite (local use): writers take the database lock at BEGIN (IMMEDIATE transactions), so
    # reading the highest index and writing the next ones cannot interleave with another writer.
    highest = Grant.objects.using(connection.alias).aggregate(top=Max("status_index"))["top"]
    start = -1 if highest is None else highest
    return list(range(start + 1, start + 1 + count))


# --- application forms ------------------------------------------------------------------------


class ApplicationForm(models.Model):
    """A publisher's extra questions for access requests. The questions live in versions: a
    change is a new version, never an edit, because requests record which version they answered.
    At most one form of a publisher is active: the one new requests answer."""

    publisher = models.ForeignKey(
        "catalogue.Publisher", on_delete=models.PROTECT, related_name="application_forms"
    )
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["publisher", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["publisher"],
                condition=Q(active=True),
                name="one_active_application_form_per_publisher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.publisher})"

    @property
    def current_version(self) -> ApplicationFormVersion | None:
        """The version requests answer now: the highest number. The one place that says so."""
        if "versions" in getattr(self, "_prefetched_objects_cache", {}):
            versions = list(self.versions.all())
            return max(versions, key=lambda v: v.version) if versions else None
        return self.versions.order_by("-version").first()


class ApplicationFormVersion(models.Model):
    form = models.ForeignKey(ApplicationForm, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    # A list of questions, validated by access.services.forms.questions_clean: key, label,
    # kind, required, help_text, choices, order.
    questions = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["form", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["form", "version"], name="application_form_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form.name} v{self.version}"


# --- attachments ------------------------------------------------------------------------------


def attachment_storage() -> Storage:
    """Where attachments live: a private storage, never under a public URL."""
    return storages["attachments"]


def attachment_upload_path(instance: RequestAttachment, filename: str) -> str:
    return f"{instance.access_request_id}/{instance.id}/{filename}"


class RequestAttachment(models.Model):
    """A document uploaded with a request (ethics approval, data management plan)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    access_request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="attachments"
    )
    question_key = models.CharField(
        max_length=64, blank=True, help_text="The attachment question it answers, if any."
    )
    file = models.FileField(
        upload_to=attachment_upload_path, storage=attachment_storage, max_length=500
    )
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=120)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_size_positive"),
        ]

    def __str__(self) -> str:
        return self.original_name


class ReviewInvitation(models.Model):
    """A steward asked this account to review a submitted request: it may then see the request
    (never its draft) and add reviews; the decision stays the stewards'."""

    access_request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="review_invitations"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_invitations"
    )
    # Empty when a decision policy routed the request to the reviewer (the system invited).
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_invitations_sent",
    )
    # The audit event of the invitation: its e-mail goes to this reviewer.
    event = models.OneToOneField(
        AccessEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_invitation",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["access_request", "reviewer"], name="one_invitation_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.access_request_id}"


class Recommendation(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    ABSTAIN = "abstain", "Abstain"


class Review(models.Model):
    """An invited reviewer's recommendation, also recorded (with its comment) in the audit
    chain. A reviewer may add several as the request evolves."""

    access_request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    recommendation = models.CharField(max_length=8, choices=Recommendation.choices)
    comment = models.TextField(blank=True)
    event = models.OneToOneField(
        AccessEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="review"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recommendation__in=Recommendation.values),
                name="review_recommendation_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer}: {self.recommendation} on {self.access_request_id}"


# --- decision policies ------------------------------------------------------------------------


class PolicyEffect(models.TextChoices):
    APPROVE = "approve", "Approve at once"
    ROUTE = "route", "Route to a steward or reviewer"


class RouteRole(models.TextChoices):
    STEWARD = "steward", "Assign to the steward"
    REVIEWER = "reviewer", "Invite as reviewer"


class DecisionPolicy(models.Model):
    """A publisher's rule for submitted requests: when its conditions hold, the request is
    approved at once or routed to a named steward or reviewer. What the rule says lives in
    versions: every change is a new version, never an edit, because each automatic decision
    records the version that made it. The scope (one dataset or all the publisher's datasets)
    is fixed at creation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    publisher = models.ForeignKey(
        "catalogue.Publisher", on_delete=models.PROTECT, related_name="decision_policies"
    )
    dataset = models.ForeignKey(
        "catalogue.Dataset",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decision_policies",
        help_text="Empty: every dataset of the publisher.",
    )
    # The newest version (the one in force), kept by the services in the transaction that
    # writes the version.
    current = models.OneToOneField(
        "DecisionPolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="current_of",
    )
    created = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Removed from use; its versions stay for the record."
    )

    class Meta:
        ordering = ["publisher", "created"]
        verbose_name_plural = "decision policies"
        indexes = [models.Index(fields=["publisher", "archived_at"], name="policy_publisher")]

    def __str__(self) -> str:
        return self.current.name if self.current_id else f"policy {self.pk}"


class DecisionPolicyVersion(models.Model):
    policy = models.ForeignKey(DecisionPolicy, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    priority = models.IntegerField(
        default=100, help_text="Lower runs first; the first policy whose conditions hold decides."
    )
    active = models.BooleanField(default=True)
    # A list of conditions, each {"kind": ..., parameters}, validated by the condition classes
    # of settings.ACCESS_POLICY_CONDITIONS (access.policy_conditions). All must hold.
    conditions = models.JSONField(default=list, blank=True)
    effect = models.CharField(max_length=8, choices=PolicyEffect.choices)
    validity_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Approve: the longest access it gives (the requested duration if shorter); "
        "empty: the requested duration.",
    )
    route_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Route: the account the request goes to.",
    )
    route_role = models.CharField(max_length=8, choices=RouteRole.choices, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["policy", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="policy_version_unique"),
            models.CheckConstraint(
                condition=(
                    Q(effect=PolicyEffect.APPROVE, route_to__isnull=True, route_role="")
                    | Q(
                        effect=PolicyEffect.ROUTE,
                        route_to__isnull=False,
                        route_role__in=RouteRole.values,
                        validity_days__isnull=True,
                    )
                ),
                name="policy_effect_consistent",
            ),
            models.CheckConstraint(
                condition=Q(validity_days__isnull=True) | Q(validity_days__gte=1),
                name="policy_validity_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PolicyDecision(models.Model):
    """What a decision policy did to a request, linked to the audit event that records it (whose
    hashed comment names the policy and version too): the policy version, or the key and version
    of a built-in policy, and which conditions held."""

    access_request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="policy_decisions"
    )
    event = models.OneToOneField(
        AccessEvent, on_delete=models.PROTECT, related_name="policy_decision"
    )
    policy_version = models.ForeignKey(
        DecisionPolicyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    builtin = models.CharField(
        max_length=64, blank=True, help_text="The key of a built-in policy (settings)."
    )
    builtin_version = models.PositiveIntegerField(null=True, blank=True)
    effect = models.CharField(max_length=8, choices=PolicyEffect.choices)
    conditions = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(policy_version__isnull=False) & Q(builtin=""))
                | (Q(policy_version__isnull=True) & ~Q(builtin="")),
                name="policy_decision_names_one_policy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effect} of {self.access_request_id} by {self.policy_label}"

    @property
    def policy_label(self) -> str:
        if self.policy_version_id:
            return f"{self.policy_version.name} v{self.policy_version.version}"
        return f"built-in {self.builtin} v{self.builtin_version}"
