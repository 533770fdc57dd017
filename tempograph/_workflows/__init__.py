"""The Temporal workflows a Tempograph worker registers: GraphRun (one run of a graph on a
thread), TempographThread (an HTTP thread's record), TempographAssistant (a created
assistant) and TempographCronFiring (one firing of a cron on a thread). Deterministic; they
never import user graph code or LangGraph."""

from tempograph._workflows.assistant_record import AssistantRecord
from tempograph._workflows.cron_thread import CronThread
from tempograph._workflows.graph_run import GraphRun
from tempograph._workflows.thread_record import ThreadRecord

__all__ = ["AssistantRecord", "CronThread", "GraphRun", "ThreadRecord"]
