"""``yiyang demo``: what ``make demo`` runs. Migrates, builds the demo city if missing,
prints the address and every demo login, then serves on 127.0.0.1:$PORT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from yiyang.demo.services import (
    DEFAULT_PASSWORD,
    DEMO_USERS,
    demo_password_sync,
    two_factor_notice,
)


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the platform with the demo city on the embedded database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-serve", action="store_true", help="prepare and print only")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed-demo", stdout=self.stdout)
        env_password = os.environ.get("YIYANG_DEMO_PASSWORD")
        password = env_password or DEFAULT_PASSWORD
        if demo_password_sync(password, settings.VAR_DIR / "demo_password.sha256"):
            self.stdout.write("Demo passwords set.")
        port = options["port"]
        address = f"http://127.0.0.1:{port}/"
        lines = [
            "",
            f"Yiyang is running at {address}",
            f"API docs: {address}api/v1/docs/   health: {address}healthz",
            "",
            "Demo logins (password: "
            + (
                f"{password!r}, from YIYANG_DEMO_PASSWORD"
                if env_password
                else f"{password!r}; set YIYANG_DEMO_PASSWORD to change it"
            )
            + "):",
        ]
        for username, role, _ in DEMO_USERS:
            with translation.override("zh-hans"):
                chinese = str(role.label)
            with translation.override("en"):
                english = str(role.label)
            lines.append(f"  {username:<18} {chinese} / {english}")
        notice = two_factor_notice()
        if notice:
            lines.append(notice)
        self.stdout.write("\n".join(str(line) for line in lines) + "\n")
        if not options["no_serve"]:
            # A SIGTERM (a process manager, `kill`) stops the demo as Ctrl-C does: the
            # background processes below are stopped with it, never left running.
            signal.signal(signal.SIGTERM, _stop)
            workers = [
                self._start_worker(),
                self._start_indicator_scheduler(),
                self._start_meal_scheduler(),
                self._start_settlement_scheduler(),
                *self._start_alert_centre(port),
            ]
            try:
                self._serve(port)
            except KeyboardInterrupt:
                pass
            finally:
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    try:
                        worker.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        worker.kill()

    def _serve(self, port: str) -> None:
        """Serve through gunicorn, as production does (docs/operations.md): threaded workers,
        because each open alert console holds one request (server-sent events); no file
        watcher or reloader. Returns when the server stops (Ctrl-C)."""
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            os.environ.get("WEB_CONCURRENCY", "2"),
            "--worker-class",
            "gthread",
            "--threads",
            "32",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            "--access-logformat",
            '%(h)s "%(r)s" %(s)s %(M)sms',
        ]
        self.stdout.write(f"Web server: gunicorn on 127.0.0.1:{port}.")
        server = subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - our own server
        try:
            server.wait()
        finally:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=10)

    def _start_worker(self) -> subprocess.Popen[bytes]:
        """The background worker (spreadsheet imports) beside the web server."""
        self.stdout.write("Background worker started (yiyang db_worker).")
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "yiyang",
                "db_worker",
                "--interval",
                "0.5",
                "--no-startup-delay",
                "--verbosity",
                "0",
            ],
            env=os.environ.copy(),
        )

    def _broker(self) -> tuple[str | None, str]:
        """The broker the demo's gateway uses: the one on MQTT_URL when it keeps a
        disconnected gateway's queued messages, else the project's own Mosquitto with
        deploy/mosquitto/mosquitto.conf (scripts/start-broker.sh decides and starts it)."""
        script = settings.BASE_DIR / "scripts" / "start-broker.sh"
        env = os.environ | {"PYTHON": sys.executable, "MQTT_URL": str(settings.MQTT_URL)}
        try:
            done = subprocess.run(  # noqa: S603 - our own script
                ["/bin/bash", str(script)],
                env=env,
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None, ""
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("MQTT_URL=")]
        if done.returncode != 0 or not lines:
            return None, ""
        url = lines[-1].split("=", 1)[1]
        if url == str(settings.MQTT_URL):
            return url, "broker configuration checked: it keeps queued messages"
        return url, "the project's own Mosquitto, deploy/mosquitto/mosquitto.conf"

    def _start_indicator_scheduler(self) -> subprocess.Popen[bytes]:
        """The indicators' clock, as production runs it: the running month's snapshot is
        refreshed nightly and the month before rebuilt after the 1st (queued for the worker
        above), so the dashboard's trends stay current while the demo runs for days."""
        self.stdout.write("Indicator scheduler started (yiyang run-indicator-scheduler).")
        return subprocess.Popen(
            [sys.executable, "-m", "yiyang", "run-indicator-scheduler", "--interval", "300"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
        )

    def _start_meal_scheduler(self) -> subprocess.Popen[bytes]:
        """The meals' clock: the standing orders book the next days in the worker above."""
        self.stdout.write("Meal scheduler started (yiyang run-meal-scheduler).")
        return subprocess.Popen(
            [sys.executable, "-m", "yiyang", "run-meal-scheduler", "--interval", "300"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
        )

    def _start_settlement_scheduler(self) -> subprocess.Popen[bytes]:
        """The settlement's clock: the month before settled after the 1st, and the
        workflow's deadline reminders sent as messages (both run by the worker above)."""
        self.stdout.write("Settlement scheduler started (yiyang run-settlement-scheduler).")
        return subprocess.Popen(
            [sys.executable, "-m", "yiyang", "run-settlement-scheduler", "--interval", "300"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
        )

    def _start_alert_centre(self, port: str) -> list[subprocess.Popen[bytes]]:
        """The alert monitor, the MQTT gateway (when a broker answers on MQTT_URL) and a
        small device simulation, so that the console shows life (over MQTT, or signed HTTP
        callbacks to this server when there is no broker)."""
        broker_url, broker_note = self._broker()
        broker = broker_url is not None
        python = [sys.executable, "-m", "yiyang"]
        env = os.environ.copy()
        if broker_url is not None:
            env["MQTT_URL"] = broker_url
        monitor = [*python, "run-alert-monitor", "--interval", "2", "--start-delay", "20"]
        started = [subprocess.Popen(monitor, env=env)]  # noqa: S603 - our own commands
        # Visits turn late and missed as the demo's day goes on (the board shows them).
        watch = [*python, "watch-visits", "--interval", "30"]
        started.append(subprocess.Popen(watch, env=env, stdout=subprocess.DEVNULL))  # noqa: S603
        simulate = [
            *python,
            "simulate-devices",
            "--devices",
            "400",
            "--rate",
            "5",
            "--duration",
            "604800",
            "--alarm-probability",
            "0.0007",
            "--silent-fraction",
            "0.01",
            "--warm-up",
        ]
        if broker:
            gateway = [*python, "run-device-gateway"]
            started.append(subprocess.Popen(gateway, env=env))  # noqa: S603
            simulate += ["--via", "mqtt"]
            self.stdout.write(
                f"Device gateway on {broker_url} ({broker_note}); device simulation started."
            )
        else:
            simulate += ["--via", "http", "--url", f"http://127.0.0.1:{port}"]
            self.stdout.write("No MQTT broker: simulated devices call the HTTP callback instead.")
        time.sleep(0 if broker else 3)  # the web server first, for the HTTP callbacks
        started.append(subprocess.Popen(simulate, env=env, stdout=subprocess.DEVNULL))  # noqa: S603
        self.stdout.write("Alert monitor started; the console is at /alerts/ (login: operator).")
        return started
