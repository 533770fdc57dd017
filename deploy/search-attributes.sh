#!/usr/bin/env bash
# Register Tempograph's search attributes on a self-hosted Temporal namespace. Idempotent: an
# attribute that already exists is left alone. Uses the temporal CLI and its environment
# (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY, or --env profiles).
#
#   TEMPORAL_ADDRESS=temporal:7233 TEMPORAL_NAMESPACE=default deploy/search-attributes.sh
#
# Temporal Cloud: `tcld namespace search-attributes add --namespace <ns>.<account> \
#     --search-attribute "TempographStatus=Keyword" --search-attribute "TempographGraph=Keyword"`.
# Workers also register them on start when they may (ensure_search_attributes); this script is
# for namespaces where workers have no operator rights.
set -euo pipefail

TEMPORAL="${TEMPORAL_CLI:-temporal}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ATTRIBUTES=(TempographStatus TempographGraph)

existing="$("$TEMPORAL" operator search-attribute list --namespace "$NAMESPACE")"
for name in "${ATTRIBUTES[@]}"; do
  if grep -qw "$name" <<<"$existing"; then
    echo "$name: already registered"
  else
    "$TEMPORAL" operator search-attribute create --namespace "$NAMESPACE" \
      --name "$name" --type Keyword
    echo "$name: registered (Keyword)"
  fi
done
