from kit.db import kit_metadata
from kit.migrations import run_env
from services.partners import models  # noqa: F401  (registers every table)
from services.partners.base import Base

run_env([Base.metadata, kit_metadata])
