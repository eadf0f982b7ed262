"""The five local servers: how each is installed, configured, started and checked.

Over 400 lines on purpose: one small class per server behind the one Component interface, so
the differences between the servers read side by side. The Maven project files Kafka and the
registry are built from are data beside this module (kafka-pom.xml, registry-pom.xml)."""

from __future__ import annotations

import os
import shutil
import signal
import string
import textwrap
from abc import ABC, abstractmethod
from importlib import resources
from pathlib import Path
from typing import ClassVar

import httpx

from hive_tools.infra import maven, opa_bundle
from hive_tools.infra.process import InfraError, run, tcp_open
from hive_tools.infra.settings import (
    APICURIO_CONFIG_INDEX_VERSION,
    APICURIO_QUARKUS_VERSION,
    APICURIO_VERSION,
    BIND_HOST,
    EVERIT_JSON_SCHEMA_VERSION,
    KAFKA_CLUSTER_ID,
    KAFKA_SCALA,
    KAFKA_VERSION,
    LOG4J_VERSION,
    OPA_MODULE,
    OPA_VERSION,
    POSTGRES_MAJOR,
    InfraSettings,
)


class _PomTemplate(string.Template):
    """`@{name}` placeholders: `${...}` is Maven's own property syntax."""

    delimiter = "@"


def _pom(name: str, **versions: str) -> str:
    """A Maven project file shipped beside this module, with its versions filled in.

    The rendered text is part of the install's fingerprint (maven.fingerprint): any change to
    it, even to a comment, rebuilds the cached install, so the files keep their bytes."""
    text = resources.files("hive_tools.infra").joinpath(name).read_text(encoding="utf-8")
    return _PomTemplate(text).substitute(versions)


def _http_ok(url: str) -> bool:
    try:
        # trust_env=False: a proxy from the environment must never see loopback probes.
        return httpx.get(url, timeout=2.0, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def _java() -> str:
    exe = shutil.which("java")
    if exe is None:
        raise InfraError("java is not on PATH; Kafka and the schema registry need a JDK 17+")
    return exe


def _base_env() -> dict[str, str]:
    """A small, predictable environment for servers (no proxies, no inherited JAVA opts)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "JAVA_HOME", "TMPDIR")
    return {k: os.environ[k] for k in keep if k in os.environ}


def _install_script(s: InfraSettings) -> Path:
    return s.repo_root / "scripts" / "install-system-deps.sh"


class Component(ABC):
    """One server. Subclasses say how to install, configure, run and probe it."""

    name: ClassVar[str]
    version: ClassVar[str]
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM

    def __init__(self, settings: InfraSettings) -> None:
        self.s = settings

    # ---- paths ---------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        """This component's directory in the state dir (config, data)."""
        return self.s.state / self.name

    @property
    def log_file(self) -> Path:
        return self.s.state / "logs" / f"{self.name}.log"

    @property
    def install_log(self) -> Path:
        return self.s.state / "logs" / f"install-{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.s.state / "run" / f"{self.name}.pid"

    # ---- description ---------------------------------------------------------------------
    @property
    @abstractmethod
    def address(self) -> str:
        """Where clients reach it."""

    @property
    @abstractmethod
    def ports(self) -> list[int]:
        """Ports it listens on (checked free before starting)."""

    @property
    @abstractmethod
    def marker(self) -> str:
        """A string in the server's command line identifying this state dir's instance."""

    # ---- lifecycle -----------------------------------------------------------------------
    @abstractmethod
    def is_installed(self) -> bool: ...

    @abstractmethod
    def install(self) -> None:
        """Fetch/build into the cache dir (or the system, for Debian packages)."""

    def prepare(self) -> None:
        """Write config and initialise storage before a start."""
        self.home.mkdir(parents=True, exist_ok=True)

    @abstractmethod
    def command(self) -> list[str]: ...

    def env(self) -> dict[str, str]:
        return _base_env()

    @property
    def run_as(self) -> str | None:
        """OS user to run the server as (None: the current user)."""
        return None

    @abstractmethod
    def is_ready(self) -> bool: ...

    def after_ready(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """One-off setup that needs the server up (roles, databases...)."""


# ==========================================================================================
class Kafka(Component):
    """Apache Kafka in KRaft mode: one node that is both broker and controller."""

    name = "kafka"
    version = KAFKA_VERSION

    @property
    def dist(self) -> Path:
        return self.s.cache_dir / f"kafka-{KAFKA_VERSION}"

    @property
    def address(self) -> str:
        return f"{BIND_HOST}:{self.s.kafka_port}"

    @property
    def ports(self) -> list[int]:
        return [self.s.kafka_port, self.s.kafka_controller_port]

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def marker(self) -> str:
        return str(self.config_file)

    def _pom(self) -> str:
        return _pom(
            "kafka-pom.xml",
            kafka_version=KAFKA_VERSION,
            kafka_scala=KAFKA_SCALA,
            log4j_version=LOG4J_VERSION,
        )

    def is_installed(self) -> bool:
        return maven.is_marked(self.dist, maven.fingerprint(self._pom()))

    def install(self) -> None:
        pom = self._pom()
        libs = self.dist / "libs"
        if libs.exists():
            shutil.rmtree(libs)
        self.dist.mkdir(parents=True, exist_ok=True)
        (self.dist / "pom.xml").write_text(pom)
        maven.mvn(
            self.s.cache_dir,
            self.dist,
            [
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={libs}",
            ],
            what=f"resolving Kafka {KAFKA_VERSION} from Maven Central",
            log_file=self.install_log,
        )
        maven.mark(self.dist, maven.fingerprint(pom))

    def prepare(self) -> None:
        super().prepare()
        data = self.home / "data"
        data.mkdir(parents=True, exist_ok=True)
        log4j = self.home / "log4j2.properties"
        # Console appender: the process's stdout is appended to <state>/logs/kafka.log.
        log4j.write_text(
            textwrap.dedent("""\
                status = warn
                appender.out.type = Console
                appender.out.name = out
                appender.out.target = SYSTEM_OUT
                appender.out.layout.type = PatternLayout
                appender.out.layout.pattern = [%d] %p %m (%c)%n
                rootLogger.level = INFO
                rootLogger.appenderRef.out.ref = out
                # Request/state-change chatter is only useful when debugging the broker.
                logger.request.name = kafka.request.logger
                logger.request.level = WARN
                logger.authorizer.name = kafka.authorizer.logger
                logger.authorizer.level = WARN
                """)
        )
        host = BIND_HOST
        self.config_file.write_text(
            textwrap.dedent(f"""\
                # Generated by hive.infra at each start; edit InfraSettings instead.
                process.roles=broker,controller
                node.id=1
                controller.quorum.voters=1@{host}:{self.s.kafka_controller_port}
                listeners=PLAINTEXT://{host}:{self.s.kafka_port},CONTROLLER://{host}:{self.s.kafka_controller_port}
                advertised.listeners=PLAINTEXT://{host}:{self.s.kafka_port}
                controller.listener.names=CONTROLLER
                inter.broker.listener.name=PLAINTEXT
                listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
                log.dirs={data}
                # A single node: every internal topic has one replica.
                num.partitions=1
                default.replication.factor=1
                min.insync.replicas=1
                offsets.topic.replication.factor=1
                offsets.topic.num.partitions=10
                transaction.state.log.replication.factor=1
                transaction.state.log.min.isr=1
                transaction.state.log.num.partitions=10
                share.coordinator.state.topic.replication.factor=1
                share.coordinator.state.topic.min.isr=1
                # Tests start consumer groups often; do not wait for more members.
                group.initial.rebalance.delay.ms=0
                # Topics come from the catalogue (hive topics create), never from a typo.
                auto.create.topics.enable=false
                delete.topic.enable=true
                """)
        )
        if not (data / "meta.properties").is_file():
            run(
                [
                    _java(),
                    "-cp",
                    f"{self.dist / 'libs'}/*",
                    f"-Dlog4j2.configurationFile={log4j}",
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    KAFKA_CLUSTER_ID,
                    "-c",
                    str(self.config_file),
                ],
                what="formatting Kafka's KRaft storage",
                log_file=self.log_file,
                env=self.env(),
            )

    def command(self) -> list[str]:
        heap = self.s.kafka_heap
        return [
            _java(),
            f"-Xmx{heap}",
            f"-Xms{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{self.dist / 'libs'}/*",
            "kafka.Kafka",
            str(self.config_file),
        ]

    def is_ready(self) -> bool:
        if not tcp_open(BIND_HOST, self.s.kafka_port):
            return False
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.address, "log_level": 0})
        md = admin.list_topics(timeout=3)
        return bool(md.brokers)


# ==========================================================================================
class Registry(Component):
    """Apicurio Registry (in-memory H2 storage) serving the Confluent-compatible API.

    Maven Central has Apicurio only as Quarkus library jars, so install() generates a small
    Maven project that depends on ``apicurio-registry-app`` and runs Quarkus' own ``build``
    goal, as Apicurio's distribution does; the result is ``target/quarkus-app/quarkus-run.jar``.

    Version choice: 3.x is compiled for Java 21 (the machine has 17) and several 3.x modules
    and Quarkus 3.33 extensions it needs are absent from Maven Central; 2.4.2.Final resolves
    completely with two substitutions made below (everit-json-schema is taken from its
    Maven Central coordinates; the config-index extension from its one release that ships a
    deployment jar). Its ``/apis/ccompat/v7`` API is what confluent-kafka's client speaks.
    """

    name = "registry"
    version = APICURIO_VERSION

    @property
    def dist(self) -> Path:
        return self.s.cache_dir / f"apicurio-registry-{APICURIO_VERSION}"

    @property
    def runner(self) -> Path:
        return self.dist / "target" / "quarkus-app" / "quarkus-run.jar"

    @property
    def base_url(self) -> str:
        return f"http://{BIND_HOST}:{self.s.registry_port}"

    @property
    def address(self) -> str:
        return f"{self.base_url}/apis/ccompat/v7"

    @property
    def ports(self) -> list[int]:
        return [self.s.registry_port]

    @property
    def marker(self) -> str:
        return f"-Dhive.infra.component={self.home}"

    def _pom(self) -> str:
        return _pom(
            "registry-pom.xml",
            apicurio_version=APICURIO_VERSION,
            config_index_version=APICURIO_CONFIG_INDEX_VERSION,
            everit_json_schema_version=EVERIT_JSON_SCHEMA_VERSION,
            quarkus_version=APICURIO_QUARKUS_VERSION,
        )

    # The app jar carries no Jandex index; without one Quarkus would not discover its beans.
    _BUILD_CONFIG = textwrap.dedent("""\
        quarkus.index-dependency.registry-app.group-id=io.apicurio
        quarkus.index-dependency.registry-app.artifact-id=apicurio-registry-app
        """)

    def is_installed(self) -> bool:
        return self.runner.is_file() and maven.is_marked(
            self.dist, maven.fingerprint(self._pom(), self._BUILD_CONFIG)
        )

    def install(self) -> None:
        _java()
        pom = self._pom()
        target = self.dist / "target"
        if target.exists():
            shutil.rmtree(target)
        resources = self.dist / "src" / "main" / "resources" / "META-INF"
        resources.mkdir(parents=True, exist_ok=True)
        (self.dist / "pom.xml").write_text(pom)
        (resources / "microprofile-config.properties").write_text(self._BUILD_CONFIG)
        maven.mvn(
            self.s.cache_dir,
            self.dist,
            # fast-jar (quarkus-app/quarkus-run.jar) starts faster than the legacy-jar that
            # Apicurio's %prod profile asks for; a system property overrides the profile.
            ["package", "-DskipTests", "-Dquarkus.package.type=fast-jar"],
            what=f"building Apicurio Registry {APICURIO_VERSION} from Maven Central",
            log_file=self.install_log,
        )
        if not self.runner.is_file():
            raise InfraError(f"Apicurio build produced no {self.runner}; see {self.install_log}")
        maven.mark(self.dist, maven.fingerprint(pom, self._BUILD_CONFIG))

    def env(self) -> dict[str, str]:
        env = _base_env()
        # Apicurio 2.x reads these variables in its application.properties (%prod profile).
        env["HTTP_PORT"] = str(self.s.registry_port)
        # Global ids behave like Confluent's schema ids (one id per schema, stable).
        env["ENABLE_CCOMPAT_LEGACY_ID_MODE"] = "true"
        env["REGISTRY_AUTH_ENABLED"] = "false"
        return env

    def command(self) -> list[str]:
        return [
            _java(),
            f"-Xmx{self.s.registry_heap}",
            "-Djava.awt.headless=true",
            self.marker,
            f"-Dquarkus.http.host={BIND_HOST}",
            # Narayana (the transaction manager) otherwise holds a random listening port
            # just to derive a process id; a UUID does the same without a socket.
            "-DCoreEnvironmentBean.processImplementationClassName="
            "com.arjuna.ats.internal.arjuna.utils.UuidProcessId",
            "-Dquarkus.log.console.color=false",
            "-jar",
            str(self.runner),
        ]

    def is_ready(self) -> bool:
        return _http_ok(f"{self.base_url}/health/ready") and _http_ok(f"{self.address}/subjects")

    def after_ready(self) -> None:
        """Default to BACKWARD compatibility, as a Confluent registry does (Apicurio: NONE).

        Storage is in memory, so this is applied at every start.
        """
        res = httpx.put(
            f"{self.address}/config",
            json={"compatibility": "BACKWARD"},
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
            timeout=10.0,
            trust_env=False,
        )
        if res.status_code != 200:
            raise InfraError(
                f"registry: setting the global compatibility failed ({res.status_code}: "
                f"{res.text[:200]}); see {self.log_file}"
            )


# ==========================================================================================
class Opa(Component):
    """Open Policy Agent, built with `go install` of a pinned release into the cache; serves
    a signed bundle of policies/ and answers only what data.system.authz allows."""

    name = "opa"
    version = OPA_VERSION

    @property
    def binary(self) -> Path:
        return self.s.cache_dir / f"opa-{OPA_VERSION}" / "bin" / "opa"

    @property
    def address(self) -> str:
        return f"http://{BIND_HOST}:{self.s.opa_port}"

    @property
    def ports(self) -> list[int]:
        return [self.s.opa_port]

    @property
    def config_file(self) -> Path:
        return self.home / "config.yaml"

    @property
    def marker(self) -> str:
        return str(self.config_file)

    def is_installed(self) -> bool:
        return self.binary.is_file() and os.access(self.binary, os.X_OK)

    def install(self) -> None:
        go = shutil.which("go")
        if go is None:
            raise InfraError("go is not on PATH; OPA is built with `go install`")
        env = dict(os.environ)
        env["GOBIN"] = str(self.binary.parent)
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        run(
            [go, "install", f"{OPA_MODULE}@{OPA_VERSION}"],
            what=f"go install {OPA_MODULE}@{OPA_VERSION}",
            log_file=self.install_log,
            env=env,
        )
        if not self.is_installed():
            raise InfraError(f"go install did not produce {self.binary}; see {self.install_log}")

    # Locked down (opa_bundle.py): the state dir holds the risk gate's token, the key pair the
    # bundle is signed with, and the signed bundle built from policies/ at every start.
    @property
    def token_file(self) -> Path:
        return self.home / "token"

    @property
    def signing_key(self) -> Path:
        return self.home / "keys" / "bundle-signing.pem"

    @property
    def verification_key(self) -> Path:
        return self.home / "keys" / "bundle-verification.pem"

    @property
    def bundle_file(self) -> Path:
        return self.home / "bundle.tar.gz"

    def token(self) -> str:
        """The bearer token OPA accepts for the decision queries (made once, kept)."""
        return opa_bundle.ensure_token(self.token_file)

    def prepare(self) -> None:
        super().prepare()
        self.s.policies.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text("# Generated by hive.infra.\nlabels:\n  app: trading-hive\n")
        self.token()
        opa_bundle.ensure_signing_keys(self.signing_key, self.verification_key)
        # Rebuilt at every start: a restarted OPA serves the policies/ of now.
        opa_bundle.build_bundle(
            self.binary, self.s.policies, self.signing_key, self.bundle_file, log_file=self.log_file
        )

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "run",
            "--server",
            "--addr",
            f"{BIND_HOST}:{self.s.opa_port}",
            "--config-file",
            str(self.config_file),
            "--log-format",
            "text",
            "--log-level",
            "info",
            # No update checks: the only network this machine has is the package registries.
            "--skip-version-check",
            # The calendar and profiles are read on every decision: ~5x faster reads.
            "--optimize-store-for-read-speed",
            # Every API call is judged by data.system.authz (policies/system/authz) with the
            # caller's bearer token: the risk gate's decision queries, health and metrics only.
            "--authentication=token",
            "--authorization=basic",
            # Only the signed bundle, verified at start (a bad signature: OPA exits). No
            # --watch: a watched bundle file is reloaded without its signature checked.
            "--bundle",
            "--verification-key",
            str(self.verification_key),
            str(self.bundle_file),
        ]

    def env(self) -> dict[str, str]:
        # The authorization policy reads the expected token from OPA's own environment.
        return {**_base_env(), opa_bundle.TOKEN_VAR: self.token()}

    def is_ready(self) -> bool:
        return _http_ok(f"{self.address}/health")


# ==========================================================================================
class Postgres(Component):
    """PostgreSQL from Debian's packages, in a private data directory on its own port."""

    name = "postgres"
    version = POSTGRES_MAJOR
    # SIGTERM is a "smart" shutdown that waits for every client to leave; SIGINT is "fast".
    stop_signal = signal.SIGINT

    @property
    def bin(self) -> Path:
        return self.s.pg_bin_dir

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def address(self) -> str:
        return f"{BIND_HOST}:{self.s.pg_port}"

    @property
    def ports(self) -> list[int]:
        return [self.s.pg_port]

    @property
    def marker(self) -> str:
        return str(self.data)

    @property
    def run_as(self) -> str | None:
        # PostgreSQL refuses to run as root.
        return "postgres" if os.geteuid() == 0 else None

    def is_installed(self) -> bool:
        return all((self.bin / b).is_file() for b in ("postgres", "initdb", "pg_isready", "psql"))

    def install(self) -> None:
        _system_install(self.s, self.install_log, f"PostgreSQL {POSTGRES_MAJOR}")
        if not self.is_installed():
            raise InfraError(
                f"PostgreSQL binaries not found in {self.bin} after installing; "
                "set HIVE_PG_BIN_DIR to the directory holding postgres/initdb"
            )

    def env(self) -> dict[str, str]:
        env = _base_env()
        env["LC_ALL"] = "C.UTF-8"
        if self.run_as is not None:
            env["HOME"] = "/var/lib/postgresql"
        return env

    def _own(self, path: Path) -> None:
        if self.run_as is not None:
            shutil.chown(path, user=self.run_as, group=self.run_as)

    def prepare(self) -> None:
        super().prepare()
        for d in (self.home, self.data, self.socket_dir):
            d.mkdir(parents=True, exist_ok=True)
            self._own(d)
        self.data.chmod(0o700)
        if self.run_as is not None:
            # The data dir's parents must be searchable by the postgres user.
            run(
                ["test", "-w", str(self.data)],
                what=(
                    f"checking that user {self.run_as} can reach {self.data} "
                    "(set HIVE_STATE_DIR to a directory outside a private home)"
                ),
                user=self.run_as,
            )
        if not (self.data / "PG_VERSION").is_file():
            run(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    # Admin over the private unix socket only; TCP needs a password.
                    "--auth-local=peer",
                    "--auth-host=scram-sha-256",
                    "--no-instructions",
                ],
                what="initdb of the private PostgreSQL data directory",
                log_file=self.log_file,
                env=self.env(),
                cwd=self.home,
                user=self.run_as,
            )

    def command(self) -> list[str]:
        return [
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.s.pg_port),
            "-c",
            f"listen_addresses={BIND_HOST}",
            "-c",
            f"unix_socket_directories={self.socket_dir}",
            "-c",
            "logging_collector=off",
        ]

    def is_ready(self) -> bool:
        run(
            [
                str(self.bin / "pg_isready"),
                "-q",
                "-h",
                BIND_HOST,
                "-p",
                str(self.s.pg_port),
                "-t",
                "2",
            ],
            what="pg_isready",
        )
        return True

    def after_ready(self) -> None:
        """Create (or update) the application role and database; idempotent."""

        def lit(v: str) -> str:
            return "'" + v.replace("'", "''") + "'"

        user, pw, db = lit(self.s.pg_user), lit(self.s.pg_password), lit(self.s.pg_database)
        # Statements go through stdin so the password never shows in a process list. Values
        # are SQL literals quoted by lit(); identifiers are quoted server-side by format(%I).
        sql = textwrap.dedent(f"""\
            SELECT format('CREATE ROLE %I LOGIN', {user})
              WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {user}) \\gexec
            SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', {user}, {pw}) \\gexec
            SELECT format('CREATE DATABASE %I OWNER %I', {db}, {user})
              WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = {db}) \\gexec
            """)  # noqa: S608
        run(
            [
                str(self.bin / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.s.pg_port),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ],
            what="creating the PostgreSQL role and database",
            input_text=sql,
            env=self.env(),
            cwd=self.home,
            user=self.run_as,
        )


# ==========================================================================================
class Prometheus(Component):
    """Prometheus from Debian's packages, scraping targets listed in file_sd JSON files."""

    name = "prometheus"
    version = "debian"

    @property
    def address(self) -> str:
        return f"http://{BIND_HOST}:{self.s.prometheus_port}"

    @property
    def ports(self) -> list[int]:
        return [self.s.prometheus_port]

    @property
    def config_file(self) -> Path:
        return self.home / "prometheus.yml"

    @property
    def targets_dir(self) -> Path:
        return self.home / "targets"

    @property
    def marker(self) -> str:
        return str(self.config_file)

    def is_installed(self) -> bool:
        return self.s.prometheus_bin.is_file()

    def install(self) -> None:
        _system_install(self.s, self.install_log, "Prometheus")
        if not self.is_installed():
            raise InfraError(
                f"{self.s.prometheus_bin} not found after installing; set HIVE_PROMETHEUS_BIN"
            )

    def prepare(self) -> None:
        super().prepare()
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        interval = self.s.prometheus_scrape_interval
        self.config_file.write_text(
            textwrap.dedent(f"""\
                # Generated by hive.infra at each start.
                global:
                  scrape_interval: {interval}
                  evaluation_interval: {interval}
                scrape_configs:
                  - job_name: prometheus
                    static_configs:
                      - targets: ["{BIND_HOST}:{self.s.prometheus_port}"]
                  # Each hive service writes targets/<service>.json, e.g.
                  # [{{"targets": ["127.0.0.1:9400"], "labels": {{"service": "risk-gate"}}}}]
                  - job_name: hive
                    metrics_path: /metrics
                    file_sd_configs:
                      - files: ["{self.targets_dir}/*.json"]
                        refresh_interval: 5s
                """)
        )

    def command(self) -> list[str]:
        return [
            str(self.s.prometheus_bin),
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.home / 'data'}",
            "--storage.tsdb.retention.time=7d",
            f"--web.listen-address={BIND_HOST}:{self.s.prometheus_port}",
            # POST /-/reload re-reads the config without a restart.
            "--web.enable-lifecycle",
        ]

    def is_ready(self) -> bool:
        return _http_ok(f"{self.address}/-/ready")


def _system_install(s: InfraSettings, log_file: Path, what: str) -> None:
    script = _install_script(s)
    if not script.is_file():
        raise InfraError(f"{what} is missing and {script} does not exist")
    if os.geteuid() != 0:
        raise InfraError(f"{what} is missing; run `sudo {script}` to install it")
    run(["bash", str(script)], what=f"installing {what} ({script})", log_file=log_file)


# Start order; stop runs in reverse. No server depends on another (the registry keeps its
# schemas in memory), but Kafka is first because everything built on the hive needs it.
COMPONENTS: tuple[type[Component], ...] = (Kafka, Registry, Opa, Postgres, Prometheus)
NAMES: tuple[str, ...] = tuple(c.name for c in COMPONENTS)
