"""The scope contract as the code and the OpenAPI schema state it: every view that opens to
partner tokens names real scopes for real actions, and the schema tells clients which."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from accounts.permissions import required_scopes_of


def _views(patterns=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            if cls is not None:
                yield pattern, cls


def test_every_declared_scope_is_known_and_every_key_is_an_action_or_method():
    checked = 0
    for _pattern, cls in _views():
        mapping = getattr(cls, "required_scopes", None)
        if mapping is None:
            continue
        assert isinstance(mapping, dict), cls
        for key, scopes in mapping.items():
            # A scope the installation does not know, or a misspelt action, would silently
            # leave the door shut (or open to nobody): both are mistakes.
            assert scopes and set(scopes) <= set(settings.PARTNER_SCOPES), (cls, key)
            is_method = key in {"get", "post", "put", "patch", "delete"}
            assert is_method or hasattr(cls, key), (cls, key)
            checked += 1
    assert checked >= 20


def test_a_head_is_opened_by_the_scopes_of_the_get():
    class Files:
        required_scopes = {"get": ("grants:read",)}

    assert required_scopes_of(Files(), "HEAD") == ("grants:read",)
    assert required_scopes_of(Files(), "DELETE") is None


def test_a_view_without_the_attribute_is_closed():
    class Plain:
        action = "list"

    assert required_scopes_of(Plain(), "GET") is None


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_declares_the_client_credentials_flow_with_every_scope(schema):
    scheme = schema["components"]["securitySchemes"]["partnerOAuth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/o/token/"
    assert set(flow["scopes"]) == set(settings.PARTNER_SCOPES)


def _partner_scopes(operation) -> list[str]:
    return sorted(
        scope
        for requirement in operation.get("security", [])
        for scope in requirement.get("partnerOAuth2", [])
    )


def test_each_operation_lists_the_scopes_that_open_it(schema):
    paths = schema["paths"]
    assert _partner_scopes(paths["/api/v1/access-requests/{id}/approve/"]["post"]) == [
        "access:decide"
    ]
    assert _partner_scopes(paths["/api/v1/access-requests/"]["get"]) == [
        "access:decide",
        "access:request",
    ]
    assert _partner_scopes(paths["/api/v1/datasets/"]["post"]) == ["catalogue:write"]
    assert _partner_scopes(paths["/api/v1/grants/"]["get"]) == ["grants:read"]
    # Alternatives, one scope per requirement: any one opens the operation.
    assert {"partnerOAuth2": ["access:request"]} in paths["/api/v1/access-requests/"]["get"][
        "security"
    ]


def test_operations_closed_to_partners_do_not_offer_the_scheme(schema):
    paths = schema["paths"]
    assert _partner_scopes(paths["/api/v1/auth/token/"]["post"]) == []
    assert _partner_scopes(paths["/api/v1/access-requests/{id}/withdraw/"]["post"]) == []
    assert _partner_scopes(paths["/api/v1/grants/{id}/revoke/"]["post"]) == []
