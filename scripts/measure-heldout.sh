#!/usr/bin/env bash
# Held-out measurement of the default decision path with `modbot eval` (issue 4, Must 9).
# Every figure is on rows whose account (Instagram) or video (YouTube) the model never saw:
# for each fold, the builtin model is retrained without it (same flags as the committed model),
# then `modbot eval --builtin-model` runs the held-out rows through the decision path.
#
#   bash scripts/measure-heldout.sh /path/to/datasets [out-dir]
#
# Prints one JSON line per evaluation; scripts/sum-evals.ts adds them up. REUSE=1 keeps models
# already trained in out-dir (to re-run only the evaluations).
set -euo pipefail
DATA=${1:?usage: measure-heldout.sh <datasets dir> [out-dir]}
OUT=${2:-.modbot/heldout}
IG=$DATA/instagram-scam/instagram-scam-comments.dev.csv
YT=("$DATA"/youtube-spam/Youtube0*.csv)
TRAIN_FLAGS=(--text text,CONTENT --label label_spam,CLASS --positive 1 --group account,@file --epochs 20 --l2 1e-4 --min-df 3 --hide 0.97 --review 0.7
  --negatives "$DATA/customer-messages/ibm-twitter-customer-care.csv:text" --negatives "$DATA/toxicity/davidson-labeled-data.csv:tweet")
mkdir -p "$OUT"

evals() { # <name> <test.csv> <text col> <label col> <model.json>
  local name=$1 csv=$2 text=$3 label=$4 model=$5
  for variant in plain mixed; do
    local file=$csv
    if [ "$variant" != plain ]; then
      file=$OUT/$name.$variant.csv
      npx tsx scripts/evade.ts "$csv" --text "$text" --label "$label" --positive 1 --kind "$variant" --out "$file" >/dev/null
    fi
    for path in classifier-only rules; do
      local flags=(--builtin-model "$model")
      case $path in
        classifier-only) flags+=(--classifier-only) ;;
        rules) flags+=(--rules rules) ;;
      esac
      local json
      json=$(npx tsx src/cli/main.ts eval "$file" --text "$text" --label "$label" --positive 1 --json "${flags[@]}" | tail -1)
      echo "{\"split\":\"$name\",\"variant\":\"$variant\",\"path\":\"$path\",\"result\":$json}"
    done
  done
}

# Instagram: 4 folds by account.
for k in 1 2 3 4; do
  npx tsx scripts/split.ts "$IG" --group account --fold "$k/4" --out-dir "$OUT/ig$k" >&2
  [ "${REUSE:-}" = 1 ] && [ -f "$OUT/ig$k/model.json" ] || npm run -s train -- "$OUT/ig$k/instagram-scam-comments.dev.train.csv" "${YT[@]}" "${TRAIN_FLAGS[@]}" --out "$OUT/ig$k/model.json" >/dev/null 2>&1
  evals "ig$k" "$OUT/ig$k/instagram-scam-comments.dev.test.csv" text label_spam "$OUT/ig$k/model.json"
done

# YouTube: leave one video out (train on Instagram and the other two videos).
for v in "${YT[@]}"; do
  name=$(basename "$v" .csv)
  others=()
  for o in "${YT[@]}"; do [ "$o" != "$v" ] && others+=("$o"); done
  [ "${REUSE:-}" = 1 ] && [ -f "$OUT/$name.model.json" ] || npm run -s train -- "$IG" "${others[@]}" "${TRAIN_FLAGS[@]}" --out "$OUT/$name.model.json" >/dev/null 2>&1
  evals "$name" "$v" CONTENT CLASS "$OUT/$name.model.json"
done
