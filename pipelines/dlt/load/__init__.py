"""Bronze → any dlt destination (`make load`), and the table layout shared with the sources adapter."""

from pipelines.dlt.load.settings import LOAD_SCHEMA, LoadSettings

__all__ = ["LOAD_SCHEMA", "LoadSettings"]
