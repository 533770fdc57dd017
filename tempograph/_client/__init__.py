"""What GraphClient (tempograph.client, the façade) is made of, one concern per module:

- `history`: one pass over a run's history that yields its checkpoints, node updates, pauses
  and end (get_state_history, node_updates, and GraphClient.follow's live cursor);
- `failures`: Temporal's failures and RPC errors mapped to Tempograph's errors (the one
  ErrorKind -> exception table, shared with the HTTP layer);
- `runs`: listing a thread's runs (shared with the load_thread activity and the HTTP layer).

Nothing here is public API: import from `tempograph` or `tempograph.client`.
"""
