from kit.db import kit_metadata
from kit.migrations import run_env
from services.donations import models  # noqa: F401  (registers every table)
from services.donations.base import Base

run_env([Base.metadata, kit_metadata])
