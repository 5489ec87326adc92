#!/usr/bin/env bash
# Provisions mainflux-export on a gateway from the Mainflux cloud, then starts it (docs/operations.md, section 6).
#
#   1. POST /tokens                          a user token (MAINFLUX_USER_EMAIL / _PASSWORD)
#   2. GET  /things/bootstrap/<EXTERNAL_ID>  the gateway's bootstrap config (Authorization: EXTERNAL_KEY):
#                                            thing id and key, control channel, mTLS certificates
#   3. GET  /things/<thing id>               the thing's metadata "export_channel_id" (user token)
#   4. fills the config template and sends it to the Mainflux Agent on the control channel
#      (channels/<control>/messages/req) with mosquitto_pub, as a SenML "save, export, <path>,
#      <base64>" command built by `mainflux-export config agent-command`
#   5. exec export_start, which runs the service with that config file
#
# Run it on the gateway, beside the Agent. Needs bash, curl, node and mosquitto_pub (no jq, no Go).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

# ------------------------------------------------------------------------------------------------
# Parameters: edit the defaults here, or set them in the environment (the environment wins).
# ------------------------------------------------------------------------------------------------
MTLS="${MTLS:-false}"                                       # true: mTLS to the cloud broker, certificates from bootstrap
EXTERNAL_ID="${EXTERNAL_ID:-external_id}"                   # the gateway's bootstrap identity
EXTERNAL_KEY="${EXTERNAL_KEY:-external_key}"
MAINFLUX_HOST="${MAINFLUX_HOST:-mainflux.com}"              # a host name (https is used), or a URL: http://10.0.0.5:8080
MAINFLUX_USER_EMAIL="${MAINFLUX_USER_EMAIL:-john.doe@email.com}"
MAINFLUX_USER_PASSWORD="${MAINFLUX_USER_PASSWORD:-12345678}"
BOOTSTRAP_URL="${BOOTSTRAP_URL:-}"                          # bootstrap service base URL; default: the Mainflux URL
MQTT_HOST="${MQTT_HOST:-}"                                  # cloud MQTT broker; default: the host of MAINFLUX_HOST
MQTT_PORT="${MQTT_PORT:-}"                                  # default: 1883, or 8883 with mTLS
MQTT_QOS="${MQTT_QOS:-1}"                                   # QoS of exported messages
NATS_URL="${NATS_URL:-nats://localhost:4222}"               # the gateway's NATS
EXPORT_HTTP_PORT="${EXPORT_HTTP_PORT:-8170}"
EXPORT_LOG_LEVEL="${EXPORT_LOG_LEVEL:-info}"
EXPORT_CONFIG_FILE_TMPL="${EXPORT_CONFIG_FILE_TMPL:-$SCRIPT_DIR/configs/export-config.toml.tmpl}"
EXPORT_CONFIG_FILE="${EXPORT_CONFIG_FILE:-$SCRIPT_DIR/configs/export-config.toml}"
AGENT_CONFIG_PATH="${AGENT_CONFIG_PATH:-$EXPORT_CONFIG_FILE}" # the same file as the Agent sees it (e.g. inside its container)
CERTS_DIR="${CERTS_DIR:-$(dirname -- "$EXPORT_CONFIG_FILE")/certs}" # mTLS: ca.crt, thing.crt, thing.key go here
CURL_INSECURE="${CURL_INSECURE:-false}"                     # true: accept a self-signed certificate of the API
MAINFLUX_EXPORT_BIN="${MAINFLUX_EXPORT_BIN:-}"              # the CLI; default: ../dist/src/main.js, else mainflux-export on PATH
NODE="${NODE:-node}"
# ------------------------------------------------------------------------------------------------

PROG=configure.sh

usage() {
  cat <<EOF
Usage: $PROG [--dry-run] [--no-start] [--help]

Provisions mainflux-export from Mainflux: gets a user token, the gateway's bootstrap config and the
thing's export channel, fills $EXPORT_CONFIG_FILE_TMPL into
$EXPORT_CONFIG_FILE, sends it to the Mainflux Agent on the control channel with
mosquitto_pub (SenML "save, export, <path>, <base64>"), then runs export_start.

Options:
  --dry-run   Make the three API requests (they only read, apart from issuing a user token) to fill
              the template, then print the requests and the mosquitto_pub command instead of
              running it. Writes no file (neither the config nor the certificates), sends nothing
              to the Agent, and does not start the service. The printed command contains the thing
              key, as the real one would.
  --no-start  Do everything but start the service.
  --help      This text.

Parameters come from the top of this script or from the environment: MTLS, EXTERNAL_ID,
EXTERNAL_KEY, MAINFLUX_HOST (a host name, or a URL with its scheme), MAINFLUX_USER_EMAIL,
MAINFLUX_USER_PASSWORD, BOOTSTRAP_URL, MQTT_HOST, MQTT_PORT, MQTT_QOS, NATS_URL, EXPORT_HTTP_PORT,
EXPORT_LOG_LEVEL, EXPORT_CONFIG_FILE_TMPL, EXPORT_CONFIG_FILE, AGENT_CONFIG_PATH, CERTS_DIR,
CURL_INSECURE, MAINFLUX_EXPORT_BIN, NODE.

Exit status: 0 on success, 1 on a failed request or bad data, 2 on bad usage.
EOF
}

die() {
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit 1
}

note() {
  printf '%s: %s\n' "$PROG" "$*" >&2
}

DRY_RUN=false
START=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) DRY_RUN=true ;;
    --no-start) START=false ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      printf '%s: unknown argument "%s"\n\n' "$PROG" "$1" >&2
      usage >&2
      exit 2
      ;;
  esac
  shift
done

case "$MTLS" in
  true | false) ;;
  *) die "MTLS must be true or false, found \"$MTLS\"" ;;
esac
case "$MQTT_QOS" in
  0 | 1 | 2) ;;
  *) die "MQTT_QOS must be 0, 1 or 2, found \"$MQTT_QOS\"" ;;
esac
for tool in curl "$NODE"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: install it (apt-get install -y curl nodejs)"
done
if [[ $DRY_RUN == false ]]; then
  command -v mosquitto_pub >/dev/null 2>&1 || die "mosquitto_pub not found: install it with \"apt-get install -y mosquitto-clients\""
fi
[[ -f $EXPORT_CONFIG_FILE_TMPL ]] || die "template $EXPORT_CONFIG_FILE_TMPL not found (EXPORT_CONFIG_FILE_TMPL)"
# The Agent removes every space from the command and splits it at commas.
[[ $AGENT_CONFIG_PATH != *[[:space:],]* ]] || die "AGENT_CONFIG_PATH must not contain spaces or commas (the Agent strips spaces and splits at commas): \"$AGENT_CONFIG_PATH\""

# MAINFLUX_HOST may carry a scheme (http:// for a local test API); the broker host is its host name.
if [[ $MAINFLUX_HOST =~ ^https?:// ]]; then
  MAINFLUX_URL=${MAINFLUX_HOST%/}
else
  MAINFLUX_URL="https://${MAINFLUX_HOST%/}"
fi
host_part=${MAINFLUX_URL#*://}
host_part=${host_part%%/*}
if [[ $host_part == \[* ]]; then
  api_host=${host_part%%]*}]
else
  api_host=${host_part%%:*}
fi
BOOTSTRAP_URL=${BOOTSTRAP_URL:-$MAINFLUX_URL}
BOOTSTRAP_URL=${BOOTSTRAP_URL%/}
MQTT_HOST=${MQTT_HOST:-$api_host}
if [[ $MTLS == true ]]; then
  MQTT_PORT=${MQTT_PORT:-8883}
  mqtt_url="tcps://$MQTT_HOST:$MQTT_PORT"
else
  MQTT_PORT=${MQTT_PORT:-1883}
  mqtt_url="tcp://$MQTT_HOST:$MQTT_PORT"
fi

# Secrets go to curl through files, not its command line, where `ps` would show them.
umask 077
WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mainflux-export-configure.XXXXXX")
trap 'rm -rf -- "$WORK_DIR"' EXIT

curl_tls=()
[[ $CURL_INSECURE == true ]] && curl_tls=(--insecure)

# http_request NAME METHOD URL [curl options...]: the response body goes to $WORK_DIR/NAME.json.
# Any failure ends the script with a message naming the request and the HTTP status.
http_request() {
  local name=$1 method=$2 url=$3
  shift 3
  local body="$WORK_DIR/$name.json" status
  if ! status=$(curl --silent --show-error --connect-timeout 10 --max-time 30 "${curl_tls[@]}" \
    -X "$method" -o "$body" -w '%{http_code}' "$@" -- "$url" 2>"$WORK_DIR/curl-error"); then
    die "$method $url ($name) failed: $(tr '\n' ' ' <"$WORK_DIR/curl-error")"
  fi
  if [[ $DRY_RUN == true ]]; then
    printf '%s %s  -> %s\n' "$method" "$url" "$status"
  fi
  if [[ ! $status =~ ^2[0-9][0-9]$ ]]; then
    die "$method $url ($name) failed: HTTP $status: $(head -c 300 "$body" | tr '\n' ' ')"
  fi
}

# json FILE FIELD: one field of a JSON response, read with node (jq cannot be assumed on a gateway).
json() {
  # shellcheck disable=SC2016 # JavaScript, whose ${...} template literals are not for the shell
  "$NODE" -e '
    const [file, field] = process.argv.slice(1)
    let d
    try {
      d = JSON.parse(require("fs").readFileSync(file, "utf8"))
    } catch (err) {
      console.error(`${file}: not JSON: ${err.message}`)
      process.exit(3)
    }
    const meta = (c) => {
      if (typeof c.metadata !== "string") return c.metadata ?? {}
      try { return JSON.parse(c.metadata) } catch { return {} }
    }
    const channels = Array.isArray(d.mainflux_channels) ? d.mainflux_channels : []
    const pick = {
      token: () => d.token,
      thing_id: () => d.mainflux_id,
      thing_key: () => d.mainflux_key,
      client_cert: () => d.client_cert,
      client_key: () => d.client_key,
      ca_cert: () => d.ca_cert,
      control_channel: () => channels.find((c) => meta(c)?.type === "control")?.id,
      channels: () => channels.map((c) => `${c.id} (type ${meta(c)?.type ?? "none"})`).join(", ") || "none",
      export_channel: () => d.metadata?.export_channel_id,
    }[field]
    const v = pick()
    process.stdout.write(v === undefined || v === null ? "" : String(v))
  ' "$1" "$2"
}

# require_value NAME VALUE WHAT: dies if VALUE is empty, or has a character that would break a TOML
# string or an MQTT topic.
require_value() {
  local name=$1 value=$2 what=$3
  [[ -n $value ]] || die "$what has no $name"
  [[ $value != *[[:space:][:cntrl:]\"\\/+#]* ]] || die "$what: $name \"$value\" has a character not allowed in an id"
}

if [[ $DRY_RUN == true ]]; then
  printf '# %s --dry-run: API requests are made to fill the template; no file is written, nothing is sent to the Agent, the service is not started.\n' "$PROG"
fi

# 1. User token.
EMAIL="$MAINFLUX_USER_EMAIL" PASSWORD="$MAINFLUX_USER_PASSWORD" "$NODE" -e \
  'process.stdout.write(JSON.stringify({ email: process.env.EMAIL, password: process.env.PASSWORD }))' >"$WORK_DIR/token-request.json"
http_request tokens POST "$MAINFLUX_URL/tokens" -H 'Content-Type: application/json' --data-binary "@$WORK_DIR/token-request.json"
token=$(json "$WORK_DIR/tokens.json" token)
[[ -n $token ]] || die "POST $MAINFLUX_URL/tokens (tokens) answered without a token"

# 2. The gateway's bootstrap config.
printf 'Authorization: %s\n' "$EXTERNAL_KEY" >"$WORK_DIR/bootstrap-headers"
http_request bootstrap GET "$BOOTSTRAP_URL/things/bootstrap/$EXTERNAL_ID" -H "@$WORK_DIR/bootstrap-headers" -H 'Content-Type: application/json'
bootstrap="$WORK_DIR/bootstrap.json"
thing_id=$(json "$bootstrap" thing_id)
thing_key=$(json "$bootstrap" thing_key)
control_channel=$(json "$bootstrap" control_channel)
what="bootstrap config of $EXTERNAL_ID"
require_value mainflux_id "$thing_id" "$what"
[[ -n $thing_key && $thing_key != *[[:cntrl:]]* ]] || die "$what has no usable mainflux_key"
[[ -n $control_channel ]] || die "$what has no channel whose metadata type is \"control\" (mainflux_channels: $(json "$bootstrap" channels))"
require_value "control channel id" "$control_channel" "$what"

# 3. The export channel, from the thing's metadata.
printf 'Authorization: %s\n' "$token" >"$WORK_DIR/user-headers"
http_request thing GET "$MAINFLUX_URL/things/$thing_id" -H "@$WORK_DIR/user-headers" -H 'Content-Type: application/json'
export_channel=$(json "$WORK_DIR/thing.json" export_channel)
[[ -n $export_channel ]] || die "thing $thing_id has no metadata export_channel_id: set it to the id of the channel to export to"
require_value export_channel_id "$export_channel" "thing $thing_id"

# 4. The config file, and with mTLS the certificates beside it.
ca_path="" cert_path="" key_path=""
if [[ $MTLS == true ]]; then
  ca_path="$CERTS_DIR/ca.crt" cert_path="$CERTS_DIR/thing.crt" key_path="$CERTS_DIR/thing.key"
  for field in client_cert client_key ca_cert; do
    [[ -n $(json "$bootstrap" "$field") ]] || die "$what has no $field, which MTLS=true needs"
  done
fi

toml_string() {
  local s=$1
  [[ $s != *[[:cntrl:]]* ]] || die "a value for the config has a control character: \"$s\""
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '%s' "$s"
}

# Bash 5.2 would put the matched text in place of an unquoted '&' in a replacement; ours are quoted.
shopt -u patsub_replacement 2>/dev/null || true
config=$(<"$EXPORT_CONFIG_FILE_TMPL")
fill() {
  config=${config//"{{$1}}"/"$(toml_string "$2")"}
}
fill LOG_LEVEL "$EXPORT_LOG_LEVEL"
fill NATS_URL "$NATS_URL"
fill HTTP_PORT "$EXPORT_HTTP_PORT"
fill MQTT_URL "$mqtt_url"
fill THING_ID "$thing_id"
fill THING_KEY "$thing_key"
fill MQTT_QOS "$MQTT_QOS"
fill MTLS "$MTLS"
fill SKIP_TLS_VERIFY false
fill CA_PATH "$ca_path"
fill CLIENT_CERT_PATH "$cert_path"
fill CLIENT_KEY_PATH "$key_path"
fill EXPORT_CHANNEL_ID "$export_channel"
if [[ $config =~ \{\{([A-Za-z_]+)\}\} ]]; then
  die "$EXPORT_CONFIG_FILE_TMPL has a placeholder this script does not know: {{${BASH_REMATCH[1]}}}"
fi

if [[ $DRY_RUN == true ]]; then
  config_file="$WORK_DIR/export-config.toml"
else
  config_file=$EXPORT_CONFIG_FILE
  mkdir -p -- "$(dirname -- "$config_file")"
  if [[ $MTLS == true ]]; then
    mkdir -p -- "$CERTS_DIR"
    json "$bootstrap" ca_cert >"$ca_path"
    json "$bootstrap" client_cert >"$cert_path"
    json "$bootstrap" client_key >"$key_path"
  fi
fi
printf '%s\n' "$config" >"$config_file"

# The CLI that builds the Agent's command, and that export_start runs.
if [[ -n $MAINFLUX_EXPORT_BIN ]]; then
  export_cli=("$MAINFLUX_EXPORT_BIN")
elif [[ -f $SCRIPT_DIR/../dist/src/main.js ]]; then
  export_cli=("$NODE" "$SCRIPT_DIR/../dist/src/main.js")
elif command -v mainflux-export >/dev/null 2>&1; then
  export_cli=(mainflux-export)
else
  die "mainflux-export not found: build it (npm run build) or install it, or set MAINFLUX_EXPORT_BIN"
fi
# Validates the file as the service would; warnings (keys the Agent drops) go to stderr.
payload=$("${export_cli[@]}" config agent-command --file "$config_file" --path "$AGENT_CONFIG_PATH") ||
  die "the filled config $config_file does not validate (see above)"

# shell_quote WORD: WORD as the shell reads it back, in single quotes unless it needs none.
shell_quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:@%+=,-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# 5. Send it to the Agent.
publish=(mosquitto_pub -h "$MQTT_HOST" -p "$MQTT_PORT" -u "$thing_id" -P "$thing_key" -q 1
  -t "channels/$control_channel/messages/req" -m "$payload")
if [[ $MTLS == true ]]; then
  publish+=(--cafile "$ca_path" --cert "$cert_path" --key "$key_path")
fi

if [[ $DRY_RUN == true ]]; then
  printf '# would write %s\n' "$EXPORT_CONFIG_FILE"
  if [[ $MTLS == true ]]; then
    printf '# would write %s\n' "$ca_path" "$cert_path" "$key_path"
  fi
  printf '# would send the config to the Agent with:\n'
  quoted=()
  for word in "${publish[@]}"; do
    quoted+=("$(shell_quote "$word")")
  done
  printf '%s\n' "${quoted[*]}"
  if [[ $START == true ]]; then
    printf '# then: EXPORT_CONFIG_FILE=%q exec %q\n' "$EXPORT_CONFIG_FILE" "$SCRIPT_DIR/export_start"
  fi
  exit 0
fi

note "wrote $EXPORT_CONFIG_FILE; sending it to the Agent on channels/$control_channel/messages/req"
"${publish[@]}" || die "mosquitto_pub to $MQTT_HOST:$MQTT_PORT failed (exit $?)"

if [[ $START == false ]]; then
  note "sent; not starting the service (--no-start)"
  exit 0
fi
note "starting the service with $EXPORT_CONFIG_FILE"
rm -rf -- "$WORK_DIR" # exec replaces this shell: the EXIT trap would not run
export EXPORT_CONFIG_FILE MAINFLUX_EXPORT_BIN NODE
exec "$SCRIPT_DIR/export_start"
