"""The OpenAPI schema describes the API as it is served.

A client generated from /api/schema/ must read what the endpoints really answer: lists are page
objects, every error has the Error shape, and the limits the code enforces are in the schema.
These tests compare the generated schema with real responses (validated with an OpenAPI 3.0
validator, every object closed to undeclared members), not only with expectations about it.
"""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from rest_framework.test import APIClient

from access.models import RequestState
from access.selectors import REQUEST_ORDERINGS
from access.services import MAX_PURPOSE_LENGTH, MIN_PURPOSE_LENGTH
from catalogue.models import AccessRights
from catalogue.search import MAX_QUERY_LENGTH
from catalogue.selectors import ORDERINGS
from core.api.pagination import BoundedPageNumberPagination
from delivery.services import DEFAULT_LINK_TTL_SECONDS, download_links
from tests.access.factories import PURPOSE, submitted_request
from tests.catalogue.factories import DatasetFactory

ERROR_REF = "#/components/schemas/Error"
API = "/api/v1"

# Every list the API has, as the schema names its path.
PAGINATED_LISTS = [
    f"{API}/licences/",
    f"{API}/data-spaces/",
    f"{API}/publishers/",
    f"{API}/datasets/",
    f"{API}/access-requests/",
    f"{API}/access-requests/{{id}}/events/",
    f"{API}/grants/",
    f"{API}/access-requests/{{id}}/attachments/",
    f"{API}/policies/",
    f"{API}/policies/{{id}}/versions/",
]
# Lists of one request's reviewers, reviews and comments: paged too (validated against real
# answers in tests/access/test_reviews.py, where a request has them).
REQUEST_SUBLISTS = [
    f"{API}/access-requests/{{id}}/reviewers/",
    f"{API}/access-requests/{{id}}/reviews/",
    f"{API}/access-requests/{{id}}/comments/",
]
# The one list that is not paged: a dataset's files come whole, as in the dataset's detail.
UNPAGED_LIST = f"{API}/datasets/{{id_or_slug}}/distributions/"


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(openapi: dict):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def resolve(openapi: dict, node: dict) -> dict:
    while "$ref" in node:
        node = openapi["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def response_schema(openapi: dict, path: str, method: str, code: int | str) -> dict:
    response = openapi["paths"][path][method]["responses"][str(code)]
    return response["content"]["application/json"]["schema"]


def _closed(node):
    """The schema with every object closed: a member the schema does not declare is an error
    (OpenAPI allows them by default, which would let an undescribed member pass)."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _closed(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


FORMATS = copy.deepcopy(oas30_format_checker)


@FORMATS.checks("uri")
def _is_uri(value) -> bool:
    """An absolute URI (RFC 3986: a scheme, then something); jsonschema checks none itself."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path))


def assert_valid(openapi: dict, instance, schema: dict) -> None:
    root = {"allOf": [schema], "components": _closed(openapi["components"])}
    validator = OAS30Validator(root, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:10]
    )


def assert_answers_as_declared(openapi: dict, path: str, method: str, response) -> dict:
    """The status is one the operation declares, and the body validates against its schema."""
    declared = openapi["paths"][path][method]["responses"]
    assert str(response.status_code) in declared, (
        f"{method.upper()} {path} answered {response.status_code}, which it does not declare "
        f"({', '.join(declared)}): {response.content[:300]!r}"
    )
    body = response.json()
    assert_valid(openapi, body, response_schema(openapi, path, method, response.status_code))
    return body


# --- lists are page objects --------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGINATED_LISTS + REQUEST_SUBLISTS)
def test_every_list_is_described_as_a_page_object(openapi, path):
    page = resolve(openapi, response_schema(openapi, path, "get", 200))
    assert page["type"] == "object"
    assert {"count", "next", "previous", "results"} <= set(page["required"])
    assert page["properties"]["count"]["type"] == "integer"
    for link in ("next", "previous"):
        assert page["properties"][link]["nullable"] is True
    assert page["properties"]["results"]["type"] == "array"
    if path == f"{API}/datasets/":
        assert "facets" in page["required"]


def test_no_other_response_is_a_bare_array(openapi):
    """A list added later is caught too: only the distributions of a dataset are an array."""
    arrays = [
        (method.upper(), path)
        for path, method, operation in operations(openapi)
        for code, response in operation["responses"].items()
        if code.startswith("2")
        and resolve(
            openapi, response.get("content", {}).get("application/json", {}).get("schema", {})
        ).get("type")
        == "array"
    ]
    assert arrays == [("GET", UNPAGED_LIST)]


@pytest.fixture
def world(grant, researcher_client):
    """A researcher with a grant: every list has at least one row to validate."""
    return {
        "client": researcher_client,
        "request": grant.access_request_id,
        "grant": grant.pk,
        "dataset": grant.dataset.slug,
    }


@pytest.mark.parametrize(
    ("path", "url"),
    [
        # page 2 of 1-row pages: next and previous are links, not null
        (f"{API}/licences/", f"{API}/licences/?page_size=1&page=2"),
        (f"{API}/data-spaces/", f"{API}/data-spaces/?page_size=1&page=2"),
        (f"{API}/publishers/", f"{API}/publishers/"),
        (f"{API}/datasets/", f"{API}/datasets/?q=soil"),
        (f"{API}/datasets/", f"{API}/datasets/?ordering=title&page_size=5"),
        (f"{API}/access-requests/", f"{API}/access-requests/?mine=true&state=approved"),
        (f"{API}/access-requests/{{id}}/events/", f"{API}/access-requests/{{request}}/events/"),
        (f"{API}/grants/", f"{API}/grants/?link_ttl=60"),
        (UNPAGED_LIST, f"{API}/datasets/{{dataset}}/distributions/"),
        (f"{API}/datasets/{{id_or_slug}}/", f"{API}/datasets/{{dataset}}/"),
        (f"{API}/access-requests/{{id}}/", f"{API}/access-requests/{{request}}/"),
        (f"{API}/grants/{{id}}/", f"{API}/grants/{{grant}}/"),
        (f"{API}/grants/{{id}}/manifest/", f"{API}/grants/{{grant}}/manifest/"),
    ],
)
def test_a_real_response_validates_against_its_declared_schema(openapi, world, path, url):
    response = world["client"].get(url.format(**world))
    assert response.status_code == 200, response.content
    body = assert_answers_as_declared(openapi, path, "get", response)
    rows = body["results"] if path in PAGINATED_LISTS else body
    assert rows, "nothing to validate: the list is empty"


# --- one error shape -----------------------------------------------------------------------------

# The errors each operation can give beyond those every operation can (429, 500, 503).
ACTIONS = ("submit", "approve", "reject", "return", "withdraw", "revoke")
EXPECTED_ERRORS = {
    **{("get", path): {400, 401, 404} for path in PAGINATED_LISTS},
    ("post", f"{API}/auth/token/"): {400, 401},
    ("delete", f"{API}/auth/token/"): {401},
    ("post", f"{API}/datasets/"): {400, 401, 403, 409},
    ("get", f"{API}/datasets/{{id_or_slug}}/"): {401, 404},
    ("patch", f"{API}/datasets/{{id_or_slug}}/"): {400, 401, 403, 404, 409},
    ("delete", f"{API}/datasets/{{id_or_slug}}/"): {401, 404, 409},
    ("post", f"{API}/datasets/{{id_or_slug}}/withdraw/"): {400, 401, 404},
    ("post", f"{API}/datasets/{{id_or_slug}}/reinstate/"): {401, 404},
    ("get", UNPAGED_LIST): {401, 404},
    ("post", UNPAGED_LIST): {400, 401, 404, 409, 413},
    ("put", f"{API}/datasets/by-identifier/{{identifier}}/"): {400, 401, 403, 404, 409},
    ("post", f"{API}/datasets/bulk/"): {400, 401, 403, 409, 413},
    ("get", f"{API}/datasets/{{id_or_slug}}/distributions/{{distribution_id}}/"): {401, 404},
    ("delete", f"{API}/datasets/{{id_or_slug}}/distributions/{{distribution_id}}/"): {401, 404},
    ("get", f"{API}/datasets/{{id_or_slug}}/distributions/{{distribution_id}}/download/"): {
        401,
        404,
    },
    ("post", f"{API}/access-requests/"): {400, 401, 409},
    ("get", f"{API}/access-requests/{{id}}/"): {401, 404},
    ("patch", f"{API}/access-requests/{{id}}/"): {400, 401, 403, 404, 409},
    **{
        ("post", f"{API}/access-requests/{{id}}/{action}/"): {400, 401, 403, 404, 409}
        for action in ACTIONS
    },
    ("get", f"{API}/grants/{{id}}/"): {400, 401, 404},
    ("post", f"{API}/grants/{{id}}/revoke/"): {400, 401, 403, 404, 409},
    ("get", f"{API}/grants/{{id}}/manifest/"): {400, 401, 403, 404, 409, 410},
    ("post", f"{API}/grants/{{id}}/relinquish/"): {400, 401, 403, 404, 409},
    ("post", f"{API}/grants/{{id}}/token/"): {401, 403, 404, 409},
    ("get", f"{API}/me/passport/"): {401},
    ("get", f"{API}/passports/{{username}}/"): {401, 403, 404},
    ("post", f"{API}/access-requests/{{id}}/renew/"): {400, 401, 403, 404, 409},
    ("get", f"{API}/access-requests/{{id}}/reviewers/"): {400, 401, 403, 404},
    ("post", f"{API}/access-requests/{{id}}/reviewers/"): {400, 401, 403, 404, 409},
    ("get", f"{API}/access-requests/{{id}}/reviews/"): {400, 401, 403, 404},
    ("post", f"{API}/access-requests/{{id}}/reviews/"): {400, 401, 403, 404, 409},
    ("get", f"{API}/access-requests/{{id}}/comments/"): {400, 401, 404},
    ("post", f"{API}/access-requests/{{id}}/comments/"): {400, 401, 403, 404},
    # A CSV file, not JSON; its filters are the list's (400 for a bad one).
    ("get", f"{API}/access-requests/export/"): {400, 401},
    # A signed link needs no credentials (no 401); a malformed one is a 403, not a 400.
    ("get", f"{API}/downloads/{{grant_id}}/{{distribution_id}}/"): {403, 404, 410},
    ("get", f"{API}/publishers/{{slug}}/application-form/"): {401, 404},
    # 403: with a session cookie, a PUT without the CSRF token is refused
    ("put", f"{API}/publishers/{{slug}}/application-form/"): {400, 401, 403, 404},
    ("post", f"{API}/access-requests/{{id}}/attachments/"): {400, 401, 403, 404, 409, 413, 415},
    ("get", f"{API}/access-requests/{{id}}/attachments/{{attachment_id}}/"): {401, 404},
    ("delete", f"{API}/access-requests/{{id}}/attachments/{{attachment_id}}/"): {
        401,
        403,
        404,
        409,
    },
    ("get", f"{API}/attachments/{{attachment_id}}/download/"): {403, 404, 410},
    ("post", f"{API}/policies/"): {400, 401, 404},
    ("get", f"{API}/policies/{{id}}/"): {401, 404},
    ("patch", f"{API}/policies/{{id}}/"): {400, 401, 404},
    ("delete", f"{API}/policies/{{id}}/"): {401, 404},
    ("post", f"{API}/policies/{{id}}/evaluate/"): {400, 401, 404},
    ("get", f"{API}/policies/kinds/"): {400, 401},
    # Partner tokens with webhooks:manage only: 403 for people and other tokens.
    ("get", f"{API}/webhooks/"): {400, 401, 403, 404},
    ("post", f"{API}/webhooks/"): {400, 401, 403, 409},
    ("get", f"{API}/webhooks/{{id}}/"): {401, 403, 404},
    ("patch", f"{API}/webhooks/{{id}}/"): {400, 401, 403, 404},
    ("delete", f"{API}/webhooks/{{id}}/"): {401, 403, 404},
    ("get", f"{API}/webhooks/{{id}}/deliveries/"): {400, 401, 403, 404},
    ("post", f"{API}/webhooks/{{id}}/deliveries/{{delivery_id}}/replay/"): {401, 403, 404},
    ("post", f"{API}/webhooks/{{id}}/replay/"): {400, 401, 403, 404},
    ("post", f"{API}/webhooks/{{id}}/rotate-secret/"): {401, 403, 404},
    ("post", f"{API}/webhooks/{{id}}/test/"): {401, 403, 404},
}
# Not rate-limited: a signed link is its own credential, and staging fetches thousands of them.
NOT_RATE_LIMITED = {("get", f"{API}/downloads/{{grant_id}}/{{distribution_id}}/")}
# POSTs that take no Idempotency-Key (their answers may hold a secret, never stored).
NO_IDEMPOTENCY_KEY = {f"{API}/auth/token/"} | {
    path for method, path in EXPECTED_ERRORS if method == "post" and "/webhooks/" in path
}


def test_every_operation_is_listed_here(openapi):
    assert {(method, path) for path, method, _ in operations(openapi)} == set(EXPECTED_ERRORS)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED_ERRORS))
def test_every_operation_declares_its_errors_with_the_error_component(openapi, method, path):
    responses = openapi["paths"][path][method]["responses"]
    errors = {int(code) for code in responses if code >= "400"}
    limited = set() if (method, path) in NOT_RATE_LIMITED else {429}
    assert errors - {416} == EXPECTED_ERRORS[method, path] | limited | {500, 503} | (
        # with a session cookie, an unsafe method without the CSRF token is refused
        {403} if method in ("post", "patch", "delete") else set()
    ) | (
        # a key still in use (409), or reused with another request (422)
        {409, 422} if method == "post" and path not in NO_IDEMPOTENCY_KEY else set()
    )
    for code in errors - {416}:  # 416 (range not satisfiable) has no body
        assert response_schema(openapi, path, method, code) == {"$ref": ERROR_REF}, code
        assert responses[str(code)]["description"], code


def test_the_error_component_is_the_shape_of_core_errors(openapi):
    error = openapi["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    fields = error["properties"]["error"]["properties"]["fields"]
    assert fields["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def test_bad_input_unknown_ids_and_missing_credentials_answer_in_the_declared_shape(
    openapi, anonymous, researcher_client, restricted
):
    cases = [
        (anonymous, "get", f"{API}/licences/", f"{API}/licences/?page_size=101", 400),
        (anonymous, "get", f"{API}/licences/", f"{API}/licences/?page=999", 404),
        (anonymous, "get", f"{API}/datasets/", f"{API}/datasets/?access_rights=OPEN", 400),
        (anonymous, "get", f"{API}/datasets/{{id_or_slug}}/", f"{API}/datasets/nope/", 404),
        (anonymous, "get", f"{API}/access-requests/", f"{API}/access-requests/", 401),
        (researcher_client, "get", f"{API}/grants/", f"{API}/grants/?link_ttl=0", 400),
    ]
    for client, method, path, url, status in cases:
        response = getattr(client, method)(url)
        assert response.status_code == status, (url, response.content)
        assert_answers_as_declared(openapi, path, method, response)
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token pst_not-a-token")
    response = bad_token.get(f"{API}/licences/")
    assert response.status_code == 401
    assert_answers_as_declared(openapi, f"{API}/licences/", "get", response)


def test_a_refused_request_answers_400_then_409_with_its_extra_members_in_the_shape(
    openapi, researcher_client, restricted
):
    path = f"{API}/access-requests/"
    body = {"dataset": restricted.slug, "accept_licence": True, "purpose": PURPOSE}
    short = researcher_client.post(path, {**body, "purpose": "Too short."}, format="json")
    assert short.status_code == 400
    assert "purpose" in assert_answers_as_declared(openapi, path, "post", short)["error"]["fields"]
    assert researcher_client.post(path, body, format="json").status_code == 201
    second = researcher_client.post(path, body, format="json")
    assert second.status_code == 409
    error = assert_answers_as_declared(openapi, path, "post", second)["error"]
    assert {"existing_request", "state"} <= set(error)


def test_a_forbidden_move_and_a_state_conflict_answer_in_the_declared_shape(
    openapi, researcher, researcher_client, steward_client, restricted
):
    request = submitted_request(researcher, restricted)
    path = f"{API}/access-requests/{{id}}/approve/"
    url = f"{API}/access-requests/{request.pk}/approve/"
    forbidden = researcher_client.post(url, {}, format="json")
    assert forbidden.status_code == 403
    assert_answers_as_declared(openapi, path, "post", forbidden)
    assert steward_client.post(url, {}, format="json").status_code == 200
    again = steward_client.post(url, {}, format="json")
    assert again.status_code == 409
    assert assert_answers_as_declared(openapi, path, "post", again)["error"]["state"] == "approved"


def test_forged_and_expired_download_links_answer_in_the_declared_shape(openapi, grant):
    path = f"{API}/downloads/{{grant_id}}/{{distribution_id}}/"
    (expired,) = download_links(grant, ttl_seconds=-60)
    gone = APIClient().get(expired.url)
    assert gone.status_code == 410
    assert_answers_as_declared(openapi, path, "get", gone)
    forged = APIClient().get(expired.url.replace("signature=", "signature=x"))
    assert forged.status_code == 403
    assert_answers_as_declared(openapi, path, "get", forged)


@pytest.fixture
def empty_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_throttling_answers_429_in_the_declared_shape(openapi, anonymous, empty_throttle_cache):
    path = f"{API}/auth/token/"
    for _ in range(30):
        response = anonymous.post(path, {"username": "nobody", "password": "x"}, format="json")
        if response.status_code == 429:
            break
        assert_answers_as_declared(openapi, path, "post", response)  # 401 until throttled
    assert response.status_code == 429
    error = assert_answers_as_declared(openapi, path, "post", response)["error"]
    assert error["retry_after_seconds"] > 0


@pytest.mark.django_db
def test_an_unexpected_error_is_a_500_in_the_declared_shape(openapi, monkeypatch):
    from catalogue import selectors

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "licence_list", broken)
    response = APIClient(raise_request_exception=False).get(f"{API}/licences/")
    assert response.status_code == 500
    assert_answers_as_declared(openapi, f"{API}/licences/", "get", response)


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_a_503_in_the_error_shape(openapi, monkeypatch):
    from catalogue import selectors

    def unreachable():
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    monkeypatch.setattr(selectors, "licence_list", unreachable)
    response = APIClient(raise_request_exception=False).get(f"{API}/licences/")
    assert response.status_code == 503
    assert_answers_as_declared(openapi, f"{API}/licences/", "get", response)


def test_an_upload_above_the_limit_is_a_413_in_the_error_shape(openapi, steward_client, restricted):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with override_settings(MAX_DISTRIBUTION_UPLOAD_BYTES=10):
        response = steward_client.post(
            f"{API}/datasets/{restricted.slug}/distributions/",
            {"file": SimpleUploadedFile("big.csv", b"a,b\n" * 100, content_type="text/csv")},
            format="multipart",
        )
    assert response.status_code == 413
    assert_answers_as_declared(openapi, UNPAGED_LIST, "post", response)


# --- limits ----------------------------------------------------------------------------------


def parameter(openapi: dict, path: str, name: str, method: str = "get") -> dict:
    (found,) = [p for p in openapi["paths"][path][method]["parameters"] if p["name"] == name]
    return found["schema"]


@pytest.mark.parametrize("path", PAGINATED_LISTS)
def test_every_list_states_its_page_limits(openapi, path):
    assert parameter(openapi, path, "page")["minimum"] == 1
    page_size = parameter(openapi, path, "page_size")
    assert page_size["type"] == "integer"
    assert page_size["minimum"] == 1
    assert page_size["maximum"] == BoundedPageNumberPagination.max_page_size


@pytest.mark.parametrize("path", [f"{API}/grants/", f"{API}/grants/{{id}}/"])
def test_link_ttl_states_its_limits(openapi, path):
    link_ttl = parameter(openapi, path, "link_ttl")
    assert (link_ttl["minimum"], link_ttl["maximum"]) == (1, DEFAULT_LINK_TTL_SECONDS)


@pytest.mark.parametrize(
    "component", ["AccessRequestCreateInputRequest", "PatchedAccessRequestUpdateInputRequest"]
)
def test_purpose_and_duration_state_the_limits_the_service_enforces(openapi, component):
    properties = openapi["components"]["schemas"][component]["properties"]
    purpose = properties["purpose"]
    assert (purpose["minLength"], purpose["maxLength"]) == (MIN_PURPOSE_LENGTH, MAX_PURPOSE_LENGTH)
    assert properties["duration_days"]["minimum"] == 1


def test_search_states_the_query_length_and_the_enums_of_its_filters(openapi):
    path = f"{API}/datasets/"
    assert parameter(openapi, path, "q")["maxLength"] == MAX_QUERY_LENGTH
    assert parameter(openapi, path, "ordering")["enum"] == sorted(ORDERINGS)
    access_rights = parameter(openapi, path, "access_rights")
    assert access_rights["type"] == "array"  # repeat it for several
    assert access_rights["items"]["enum"] == sorted(AccessRights.values)


def test_the_access_request_list_states_the_enums_of_its_filters(openapi):
    path = f"{API}/access-requests/"
    assert parameter(openapi, path, "state")["items"]["enum"] == sorted(RequestState.values)
    assert parameter(openapi, path, "ordering")["enum"] == sorted(REQUEST_ORDERINGS)
    assert parameter(openapi, path, "mine")["enum"] == ["false", "true"]


def test_the_stated_limits_are_the_enforced_ones(researcher_client, grant, restricted):
    """Just inside each limit is accepted, just outside is a 400 naming the parameter."""
    limit = BoundedPageNumberPagination.max_page_size
    for url, status in (
        (f"{API}/licences/?page_size={limit}", 200),
        (f"{API}/licences/?page_size={limit + 1}", 400),
        (f"{API}/licences/?page=0", 400),
        (f"{API}/grants/?link_ttl={DEFAULT_LINK_TTL_SECONDS}", 200),
        (f"{API}/grants/?link_ttl={DEFAULT_LINK_TTL_SECONDS + 1}", 400),
        (f"{API}/datasets/?q={'a' * MAX_QUERY_LENGTH}", 200),
        (f"{API}/datasets/?q={'a' * (MAX_QUERY_LENGTH + 1)}", 400),
    ):
        assert researcher_client.get(url).status_code == status, url

    other = DatasetFactory(publisher=restricted.publisher)
    words = ("soil " * MAX_PURPOSE_LENGTH)[: MAX_PURPOSE_LENGTH - 1] + "."
    for purpose, status in (
        (words[: MIN_PURPOSE_LENGTH - 2] + ".", 400),
        (words, 201),
        (words + "x", 400),
    ):
        response = researcher_client.post(
            f"{API}/access-requests/",
            {"dataset": other.slug, "accept_licence": True, "purpose": purpose, "draft": True},
            format="json",
        )
        assert response.status_code == status, (len(purpose), response.content[:300])
        if status == 400:
            assert "purpose" in response.json()["error"]["fields"]
