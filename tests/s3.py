"""A real S3 endpoint for tests: moto's server mode on a free loopback port (no mocks of fsspec or botocore).

    from tests.s3 import S3Server            # or the fixtures below (import them in a conftest.py)
    server = S3Server().start()
    bucket = server.bucket()                 # a fresh bucket, unique per call
    env = server.env()                       # AWS_* variables pointing the SDKs (and DuckDB) at it
    server.stop()

Fixtures: `s3_server` (one server per test process), `s3_env` (exports the variables for one test and
returns them), `s3_bronze` (a fresh `s3://<bucket>/bronze` set as DPL_BRONZE_DIR). The credentials are
canaries (`S3_KEY_ID`, `S3_SECRET`): the reliability suite checks they never show in any output.
"""

from __future__ import annotations

import itertools
import logging
import os

import pytest

from scripts.local_postgres import free_port

S3_KEY_ID = "AKIACANARY0S3KEY7QX2"
S3_SECRET = "s3-canary-secret-5f0c2b7e9d1a4c38b6e2"  # a test canary
REGION = "us-east-1"
_BUCKETS = itertools.count(1)


class S3Server:
    """moto's S3 server in a thread of this process, on 127.0.0.1."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = None

    def start(self) -> S3Server:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def env(self, endpoint: str | None = None, secret: str = S3_SECRET) -> dict[str, str]:
        """The SDK's standard variables for this server (or for `endpoint`, e.g. a fault proxy in front)."""
        return {
            "AWS_ACCESS_KEY_ID": S3_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint or self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",  # never ask the instance metadata service
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
        )

    def bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh unique name unless given) and return its name."""
        name = name or f"dpl-{os.getpid()}-{next(_BUCKETS)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """{key: bytes} of every object under a prefix."""
        client = self.client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return found


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """Export the server's AWS_* variables into this test's environment; returns them."""
    env = s3_server.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def s3_bronze(s3_server, s3_env, monkeypatch) -> str:
    """A fresh `s3://<bucket>/bronze` root, exported as DPL_BRONZE_DIR."""
    url = f"s3://{s3_server.bucket()}/bronze"
    monkeypatch.setenv("DPL_BRONZE_DIR", url)
    return url
