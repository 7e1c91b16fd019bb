from gateway import models  # noqa: F401  (registers every table)
from gateway.base import Base
from kit.migrations import run_env

run_env([Base.metadata])
