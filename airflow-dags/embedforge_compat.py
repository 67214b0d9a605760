"""The Airflow names the EmbedForge DAGs use, from Airflow 3's task SDK or Airflow 2.10's modules.

Airflow 3 moved the DAG-authoring API to ``airflow.sdk`` (``DAG``, ``Param``, ``Variable``,
``BaseOperator``, ``Asset``: 2.x called assets datasets), the task exceptions to
``airflow.sdk.exceptions`` and ``PythonOperator`` to the standard provider; the 2.x paths still
import there but warn, and are to be removed. The DAG files import these names from here only, so
both major versions load them without deprecation warnings (``airflow-dags/tests`` run on 2.10.5
and 3.3.2: ``bin/test-all``).
"""

from __future__ import annotations

from typing import Any

try:  # Airflow 3
    from airflow.sdk import DAG, Asset as DataAsset, BaseOperator, Param
    from airflow.sdk import Variable as _Variable
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSkipException,
    )
    from airflow.providers.standard.operators.python import PythonOperator

    AIRFLOW_3 = True
except ImportError:  # Airflow 2.10
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.datasets import Dataset as DataAsset  # type: ignore[no-redef]
    from airflow.exceptions import (  # type: ignore[no-redef]
        AirflowException,
        AirflowFailException,
        AirflowSkipException,
    )
    from airflow.models import BaseOperator  # type: ignore[no-redef]
    from airflow.models import Variable as _Variable  # type: ignore[no-redef]
    from airflow.models.param import Param  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]

    AIRFLOW_3 = False

__all__ = [
    "AIRFLOW_3",
    "DAG",
    "AirflowException",
    "AirflowFailException",
    "AirflowSkipException",
    "BaseOperator",
    "DataAsset",
    "Param",
    "PythonOperator",
    "get_variable",
]


def get_variable(name: str, default: Any, deserialize_json: bool = False) -> Any:
    """Variable ``name`` or ``default`` when unset (2.x calls the argument ``default_var``, the
    SDK ``default``)."""
    if AIRFLOW_3:
        return _Variable.get(name, default=default, deserialize_json=deserialize_json)
    return _Variable.get(name, default_var=default, deserialize_json=deserialize_json)
