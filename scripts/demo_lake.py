"""`make demo-lake`: the demo with bronze on object storage: a local S3 server (moto's server mode).

Starts an S3 endpoint on a free loopback port in this process, creates the bucket, runs the same
steps as `make demo` (scripts/demo.py) with `DPL_BRONZE_DIR=s3://dpl-demo/bronze`, then shows that
bronze is read from the bucket (verify, stats, a compaction) and stops the server: nothing is left
running. Credentials are dummies that exist only for this local server.

Modular on purpose: `LocalS3` is the object store, `run_lake_demo` the steps; then
`demo_ducklake.run_ducklake_demo` builds silver into a DuckLake whose catalog is a throwaway local
PostgreSQL and whose data is on the same bucket, with a reader querying while a rebuild runs.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import demo  # noqa: E402
import demo_ducklake  # noqa: E402
from local_postgres import free_port  # noqa: E402

BUCKET = "dpl-demo"


class LocalS3:
    """moto's S3 server on 127.0.0.1 (a thread of this process) with one bucket; stopped on exit."""

    def __init__(self, bucket: str = BUCKET) -> None:
        self.port = free_port()
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
        code = run_lake_demo(s3)
        print("\n== the warehouse as a DuckLake: catalog on a local PostgreSQL, data on the same bucket ==")
        lake_code = demo_ducklake.run_ducklake_demo(
            f"s3://{s3.bucket}/bronze", {**os.environ, **s3.env()}, f"s3://{s3.bucket}/warehouse"
        )
        return code or lake_code


if __name__ == "__main__":
    sys.exit(main())
