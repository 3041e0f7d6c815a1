"""Where Spark runs: one session per command, from the ``spark_master`` setting.

``local[*]`` (the default) runs Spark inside this process's machine on every core: the driver
listens on 127.0.0.1 only, the web UI is off, and Python workers use this environment's
interpreter. A cluster master (``spark://host:7077``, ``yarn``, ``k8s://...``) submits to a
cluster; ``sc://host:15002`` connects to a Spark Connect server. Spark needs the ``spark``
extra (``uv sync --extra spark``) and, except through Spark Connect, Java 17 or 21.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ProjectError
from ..identity import PACKAGE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EXTRA = "uv sync --extra spark"
JAVA = "install Java 17 or 21 (Debian or Ubuntu: apt-get install openjdk-17-jre-headless)"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
# This machine only: no listening on other interfaces, no web UI, no progress bars on stderr.
LOCAL_CONFIG = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Shuffles (uniqueness, distinct values) in a few partitions per core, not Spark's 200.
    "spark.sql.shuffle.partitions": str(2 * (os.cpu_count() or 1)),
    "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}",
}


class SparkError(ProjectError):
    """Spark is not installed, cannot start, or cannot be reached; the message says what to do."""


def is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def is_connect(master: str) -> bool:
    return master.startswith("sc://")


@contextmanager
def spark_session(master: str) -> Iterator[SparkSession]:
    """A session for one command (see ``start``), stopped when the block ends; a session that
    is already active (a notebook's, a test's) is used as it is, and left running."""
    active = _active()
    spark = start(master) if active is None else active
    try:
        yield spark
    finally:
        if active is None:
            spark.stop()


def active() -> SparkSession:
    """The session the engine's functions run on: the one ``spark_session`` opened."""
    spark = _active()
    if spark is None:
        raise SparkError("no active Spark session: open one with spark_session(master)")
    return spark


def _active() -> SparkSession | None:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def start(master: str) -> SparkSession:
    """A Spark session on ``master``; SparkError saying what is missing when it cannot start."""
    try:
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkError(f"the Spark engine needs the spark extra: run {EXTRA}") from exc
    builder = SparkSession.builder.appName(PACKAGE)
    if is_connect(master):
        builder = builder.remote(master)
    else:
        if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
            raise SparkError(f"Spark needs Java and none is installed: {JAVA}, or set JAVA_HOME")
        builder = builder.master(master)
        if is_local(master):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers: this environment
            for key, value in LOCAL_CONFIG.items():
                builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
        spark.version  # noqa: B018 - a round trip: a server that cannot be reached fails here
    except PySparkException as exc:
        where = f"the Spark Connect server at {master}" if is_connect(master) else master
        raise SparkError(f"Spark could not start on {where}: {_first_line(exc)}") from exc
    return spark


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
