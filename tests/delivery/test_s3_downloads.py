"""Distributions on S3-compatible object storage: the link redirects to a presigned URL.

A real S3 server (moto in server mode, on 127.0.0.1) stores the bytes; nothing is mocked.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from access import services
from catalogue.models import AccessRights, Distribution
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory, DistributionFactory

pytestmark = pytest.mark.django_db
BUCKET = "passerelle-test"
CONTENT = b"lat,lon,pm25\n" + b"".join(b"48.%d,11.%d,%d\n" % (i, i, i % 50) for i in range(5000))


@pytest.fixture
def s3_storage(settings, monkeypatch):
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "region_name": "eu-central-1",
        "access_key": "test",
        "secret_key": "test",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-central-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    # moto keeps its buckets per process: another test module may have made it already.
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
    settings.STORAGES = {
        **settings.STORAGES,
        "distributions": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    # The field resolved its storage when the model was loaded, as production does at start.
    monkeypatch.setattr(Distribution._meta.get_field("file"), "storage", storages["distributions"])
    yield endpoint
    server.stop()


def test_download_link_redirects_to_a_short_presigned_url(
    s3_storage, publisher, steward, api_client
):
    researcher = UserFactory(username="researcher")
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    distribution = DistributionFactory(
        dataset=dataset, byte_size=len(CONTENT), sha256=hashlib.sha256(CONTENT).hexdigest()
    )
    distribution.file.save("air.csv", ContentFile(CONTENT))
    request = services.access_request_create(
        requester=researcher,
        dataset=dataset,
        purpose="Exposure modelling of fine particulate matter near schools in Munich.",
        accept_licence=True,
    )
    services.access_request_approve(user=steward, request=request)
    grant = services.grant_provision(access_request_id=request.pk)

    api_client.force_authenticate(researcher)
    body = api_client.get(f"/api/v1/grants/{grant.pk}/", {"link_ttl": 120}).json()
    link = body["files"][0]["download_url"].replace("http://127.0.0.1:8000", "")
    api_client.force_authenticate(None)
    response = api_client.get(link)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_storage)
    presigned = parse_qs(urlparse(location).query)
    assert int(presigned["X-Amz-Expires"][0]) <= 120
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == distribution.sha256
    grant.refresh_from_db()
    assert grant.download_count == 1
