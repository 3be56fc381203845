"""`make demo-lake`: the demo with bronze on object storage: a local S3 server (moto's server mode).

Starts an S3 endpoint on a free loopback port in this process, creates the bucket, runs the same
steps as `make demo` (scripts/demo.py) with `DPL_BRONZE_DIR=s3://dpl-demo/bronze`, then shows that
bronze is read from the bucket (verify, stats, a compaction) and stops the server: nothing is left
running. Credentials are dummies that exist only for this local server.

Modular on purpose: `LocalS3` is the object store, `run_lake_demo` the steps; a later step (the
warehouse as a DuckLake on PostgreSQL) plugs in beside them.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import demo  # noqa: E402

BUCKET = "dpl-demo"


class LocalS3:
    """moto's S3 server on 127.0.0.1 (a thread of this process) with one bucket; stopped on exit."""

    def __init__(self, bucket: str = BUCKET) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.bucket = bucket
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = None

    def env(self) -> dict[str, str]:
        """The SDK's standard variables pointing at this server (dummy credentials)."""
        return {
            "AWS_ACCESS_KEY_ID": "demo-access-key",
            "AWS_SECRET_ACCESS_KEY": "demo-secret-key",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def __enter__(self) -> LocalS3:
        import boto3
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        env = self.env()
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=self.bucket)
        print(f"local S3 (moto server): {self.endpoint}, bucket {self.bucket}")
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            print("local S3 stopped")


def run_lake_demo(s3: LocalS3) -> int:
    """The demo into s3://<bucket>/bronze, then the bronze checks that read it back from the bucket."""
    bronze = f"s3://{s3.bucket}/bronze"
    env = s3.env()
    os.environ.update(env)  # this process reads the ledgers back for the summary
    code = demo.main(bronze=bronze, extra_env=env)
    lake_env = {**os.environ, **env, "DPL_BRONZE_DIR": bronze, "PYTHONPATH": str(REPO)}
    lake_env["DPL_WAREHOUSE"] = str(demo.DEMO / "warehouse" / "lakehouse.duckdb")
    for args in (["verify"], ["stats", "--source", "jira", "--stream", "issues"], ["compact"]):
        demo.cli(*args, env=lake_env)
    return code


def main() -> int:
    with LocalS3() as s3:
        return run_lake_demo(s3)


if __name__ == "__main__":
    sys.exit(main())
