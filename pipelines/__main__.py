import os
import sys

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from pipelines.cli import main  # noqa: E402 - telemetry must be off before dlt is imported

sys.exit(main())
