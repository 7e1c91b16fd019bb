from kit.db import kit_metadata
from kit.migrations import run_env
from services.network import models  # noqa: F401  (registers every table)
from services.network.base import Base

run_env([Base.metadata, kit_metadata])
