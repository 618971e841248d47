#!/usr/bin/env bash
# Apache Kafka (KRaft, single combined broker+controller) on 127.0.0.1 for tests,
# from Maven Central jars. PLAINTEXT, SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256/512), SSL and
# SASL_SSL (a self-signed test CA, made once into the cache: clients trust `ca-cert-path`).
# Usage: kafka.sh start|stop|url|sasl-url|ssl-url|sasl-ssl-url|ca-cert-path
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
service_init kafka

VERSION="${POPSINK_KAFKA_VERSION:-4.3.1}"
PORT="${POPSINK_KAFKA_PORT:-19092}"
SASL_PORT="${POPSINK_KAFKA_SASL_PORT:-19093}"
CONTROLLER_PORT="${POPSINK_KAFKA_CONTROLLER_PORT:-19094}"
SSL_PORT="${POPSINK_KAFKA_SSL_PORT:-19095}"
SASL_SSL_PORT="${POPSINK_KAFKA_SASL_SSL_PORT:-19096}"
SASL_USER=popsink SASL_PASSWORD=popsink-secret
CLUSTER_ID=Wt817MDhToG_xUB8QH-OSA # any fixed base64 UUID; data is recreated each start (unless POPSINK_KAFKA_KEEP_DATA=1)
LIBS="$CACHE_DIR/$VERSION/libs"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
TLS_DIR="$CACHE_DIR/tls" # ca.pem (clients trust it), ca.key, broker.p12 (broker keystore)
TLS_PASSWORD=popsink-tls

install() {
  [[ -d $LIBS ]] && return 0
  command -v mvn >/dev/null || die "mvn not found on PATH"
  # Kafka's pom ships no logging backend: 4.x logs through log4j2, 3.x through reload4j.
  local logging
  case $VERSION in
    3.*) logging='<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>' ;;
    *) logging='<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>' ;;
  esac
  log "downloading kafka_2.13 $VERSION jars from Maven Central"
  mkdir -p "$CACHE_DIR/$VERSION"
  cat >"$CACHE_DIR/$VERSION/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.popsink</groupId><artifactId>kafka-libs</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    $logging
  </dependencies>
</project>
EOF
  rm -rf "$LIBS.tmp"
  (cd "$CACHE_DIR/$VERSION" && mvn -B dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$LIBS.tmp") >"$CACHE_DIR/$VERSION/mvn.log" 2>&1 ||
    { tail -n 40 "$CACHE_DIR/$VERSION/mvn.log" >&2; die "mvn failed, see $CACHE_DIR/$VERSION/mvn.log"; }
  mv "$LIBS.tmp" "$LIBS" # only a complete download counts as installed
}

# A test CA and a broker certificate for 127.0.0.1 / localhost signed by it, made once.
ensure_tls() {
  [[ -f $TLS_DIR/ca.pem && -f $TLS_DIR/broker.p12 ]] && return 0
  command -v openssl >/dev/null || die "openssl not found on PATH"
  log "generating the test CA and broker certificate in $TLS_DIR"
  local tmp="$TLS_DIR.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Popsink test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$tmp/ca.key" -out "$tmp/ca.pem" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tmp/broker.key" -out "$tmp/broker.csr" &&
      printf '%s\n' basicConstraints=CA:FALSE keyUsage=digitalSignature,keyEncipherment extendedKeyUsage=serverAuth \
        subjectAltName=IP:127.0.0.1,DNS:localhost >"$tmp/broker.ext" &&
      openssl x509 -req -days 3650 -in "$tmp/broker.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
        -extfile "$tmp/broker.ext" -out "$tmp/broker.pem" &&
      openssl pkcs12 -export -name broker -in "$tmp/broker.pem" -inkey "$tmp/broker.key" -certfile "$tmp/ca.pem" \
        -passout "pass:$TLS_PASSWORD" -out "$tmp/broker.p12"
  } >"$CACHE_DIR/tls.log" 2>&1 || { tail -n 40 "$CACHE_DIR/tls.log" >&2; die "openssl failed, see $CACHE_DIR/tls.log"; }
  rm -rf "$TLS_DIR" && mv "$tmp" "$TLS_DIR" # only a complete set counts
}

write_config() {
  local jaas_plain="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$SASL_USER\" password=\"$SASL_PASSWORD\" user_$SASL_USER=\"$SASL_PASSWORD\";"
  cat >"$RUN_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT,SSL://127.0.0.1:$SSL_PORT,SASL_SSL://127.0.0.1:$SASL_SSL_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT,SSL://127.0.0.1:$SSL_PORT,SASL_SSL://127.0.0.1:$SASL_SSL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$jaas_plain
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=$jaas_plain
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
# SSL and SASL_SSL: server certificate only (no client certificates).
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/broker.p12
ssl.keystore.password=$TLS_PASSWORD
ssl.key.password=$TLS_PASSWORD
ssl.client.auth=none
log.dirs=$RUN_DIR/data
num.partitions=1
auto.create.topics.enable=true
# Single node: every replication factor / min ISR must be 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Few internal partitions and no rebalance delay: first group/transaction is fast.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$RUN_DIR/log4j2.properties" <<'EOF'
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
EOF
  cat >"$RUN_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

server_started() { grep -q 'Kafka Server started' "$LOG_FILE"; }

# fresh_data FORMATTED JAVA...: a pristine formatted log dir in $RUN_DIR/data.
fresh_data() {
  local formatted=$1
  shift
  rm -rf "$RUN_DIR/data"
  if [[ ! -d $formatted ]]; then
    log "formatting the KRaft log dir"
    "$@" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$RUN_DIR/server.properties" \
      --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]" >"$RUN_DIR/format.log" 2>&1 ||
      { tail -n 40 "$RUN_DIR/format.log" >&2; die "kafka-storage format failed"; }
    mv "$RUN_DIR/data" "$formatted"
  fi
  cp -a "$formatted" "$RUN_DIR/data"
  echo "$formatted" >"$RUN_DIR/data.formatted"
}

start() {
  if is_running "$PORT"; then echo "127.0.0.1:$PORT"; return; fi
  stop_service
  install
  ensure_tls
  write_config
  # C1-only JIT halves broker start-up on small machines (~8s -> ~4s on 2 cores) at
  # some cost in peak throughput: set POPSINK_KAFKA_JVM_OPTS= (empty) for benchmarks.
  local opts formatted
  read -ra opts <<<"${POPSINK_KAFKA_JVM_OPTS--XX:TieredStopAtLevel=1}"
  local java=("$JAVA" -Xmx512m "${opts[@]}" -cp "$LIBS/*" -Dlog4j2.configurationFile="$RUN_DIR/log4j2.properties"
    -Dlog4j.configuration="file:$RUN_DIR/log4j.properties")
  # Fresh log dir each start: tests expect no topics. SCRAM users can only be
  # created through the metadata log, hence at format time. Formatting costs a
  # JVM start, so the formatted dir is cached per config and copied.
  # POPSINK_KAFKA_KEEP_DATA=1 keeps the previous log dir (topics, offsets) when its
  # config is unchanged: a broker restart, as the outage tests do.
  formatted="$CACHE_DIR/$VERSION/formatted-$(hash_files "$RUN_DIR/server.properties")"
  if [[ ${POPSINK_KAFKA_KEEP_DATA:-} == 1 && -f $RUN_DIR/data/meta.properties && $(cat "$RUN_DIR/data.formatted" 2>/dev/null) == "$formatted" ]]; then
    log "keeping the log dir of the previous run (POPSINK_KAFKA_KEEP_DATA=1)"
  else
    fresh_data "$formatted" "${java[@]}"
  fi
  log "starting Kafka $VERSION on 127.0.0.1:$PORT (SASL $SASL_PORT, SSL $SSL_PORT, SASL_SSL $SASL_SSL_PORT, controller $CONTROLLER_PORT)"
  start_bg "${java[@]}" kafka.Kafka "$RUN_DIR/server.properties"
  # The port is bound before the broker serves requests; the log line marks readiness.
  wait_until 90 "Kafka to finish starting" server_started
  wait_until 10 "port $PORT" port_open "$PORT"
  wait_until 10 "port $SASL_PORT" port_open "$SASL_PORT"
  wait_until 10 "port $SSL_PORT" port_open "$SSL_PORT"
  wait_until 10 "port $SASL_SSL_PORT" port_open "$SASL_SSL_PORT"
  echo "127.0.0.1:$PORT"
}

case "${1:-}" in
  start) start ;;
  stop) stop_service ;;
  url) echo "127.0.0.1:$PORT" ;;
  sasl-url) echo "127.0.0.1:$SASL_PORT" ;;
  ssl-url) echo "127.0.0.1:$SSL_PORT" ;;
  sasl-ssl-url) echo "127.0.0.1:$SASL_SSL_PORT" ;;
  ca-cert-path) ensure_tls && echo "$TLS_DIR/ca.pem" ;;
  *) echo "usage: $0 start|stop|url|sasl-url|ssl-url|sasl-ssl-url|ca-cert-path" >&2; exit 2 ;;
esac
