import os
import sys

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from pipelines.cli import main

sys.exit(main())
