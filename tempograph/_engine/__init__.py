"""The engine: what a run does next, as pure functions on plain data (no temporalio import).

The GraphRun workflow (tempograph._workflows.graph_run) is the loop: it runs activities, waits,
records, and asks the engine what to do. One concern per module:

- tasks: a Task of the next step, and the TaskSlot each task fills while its step runs
- planning: the next step's tasks from edges, joins, routers' answers, goto and Send
- breakpoints: which static breakpoints are in force, and whether a step hits them
- resume: which resumes and state updates a paused run accepts, and who gets which answer
- channels, reducers: applying writes to the state (LangGraph channels)
- statedelta: what changed since the state a worker already holds
- errors: RunFailedError (the run cannot go on), RejectedError (a message refused)

Unit-tested without a server (tests/unit/); tests/unit/test_engine_imports.py checks that
importing it loads no temporalio.
"""

from tempograph._engine.breakpoints import hits, pick_breakpoints, unknown_breakpoints
from tempograph._engine.errors import RejectedError, RunFailedError
from tempograph._engine.planning import (
    JoinSeen,
    Topology,
    add_targets,
    copy_joins,
    goto_tasks,
    merge,
    plan,
    preview,
    split_goto,
    start_tasks,
)
from tempograph._engine.resume import (
    PauseView,
    answers_by_id,
    check_answers,
    check_resume,
    check_state_update,
    expired_answers,
    give_answers,
    is_resume_map,
    parse_resume,
    pending_interrupts,
)
from tempograph._engine.tasks import Task, TaskSlot

__all__ = [
    "JoinSeen",
    "PauseView",
    "RejectedError",
    "RunFailedError",
    "Task",
    "TaskSlot",
    "Topology",
    "add_targets",
    "answers_by_id",
    "check_answers",
    "check_resume",
    "check_state_update",
    "copy_joins",
    "expired_answers",
    "give_answers",
    "goto_tasks",
    "hits",
    "is_resume_map",
    "merge",
    "parse_resume",
    "pending_interrupts",
    "pick_breakpoints",
    "plan",
    "preview",
    "split_goto",
    "start_tasks",
    "unknown_breakpoints",
]
