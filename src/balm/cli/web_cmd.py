"""``balm demo``, ``balm serve``, ``balm worker`` and ``balm manage``: the web app from the
command line.

``balm demo`` uses Django's own server (``runserver --noreload``), fine for a demo on one
machine. ``balm serve`` runs gunicorn (``balm.web.server``), a production WSGI server; put a
TLS proxy in front of it and run one or more ``balm worker`` processes: each runs the queued
background tasks (alert and questionnaire e-mails) and checks for due questionnaire e-mails
every ``BALM_REMINDER_INTERVAL`` seconds (900 by default), so no cron job is needed.
``balm demo`` has no worker: its tasks run at once, and while it serves, a background thread
makes the same check. Its e-mails are written to files in ``<data dir>/emails``, so the log-ins
and personal links are the last thing it prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from balm.web.demo import DemoInfo

DEFAULT_DEMO_DIR = Path("var") / "demo"

ReminderInterval = Annotated[
    float,
    typer.Option(
        envvar="BALM_REMINDER_INTERVAL",
        min=0,
        help="Seconds between checks for due questionnaire e-mails (0: never).",
    ),
]


def _django(settings_env: dict[str, str]) -> None:
    """Set the environment and start Django (must run before any Django import)."""
    for key, value in settings_env.items():
        os.environ[key] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balm.web.settings")
    import django

    django.setup()


def _manage(*args: str, **options: object) -> None:
    from django.core.management import call_command

    call_command(*args, **options)


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo's SQLite database lives.")
    ] = DEFAULT_DEMO_DIR,
    serve: Annotated[
        bool, typer.Option(help="Serve after loading (--no-serve to only load).")
    ] = True,
    reminder_interval: ReminderInterval = 900,
) -> None:
    """Load a synthetic demo (once) into SQLite and serve it on http://HOST:PORT; while it
    serves, due questionnaire e-mails are checked for at start and every
    --reminder-interval seconds. E-mails are written to files in DATA_DIR/emails."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    emails = data_dir / "emails"
    emails.mkdir(exist_ok=True)
    # whitenoise warns at start-up when STATIC_ROOT is missing; the demo serves static files
    # from the apps (WHITENOISE_USE_FINDERS), so an empty folder is all it needs.
    (data_dir / "static").mkdir(exist_ok=True)
    site_url = f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"
    env = {
        "BALM_DEMO": "1",
        "BALM_DATA_DIR": str(data_dir),
        "BALM_SITE_URL": site_url,
        # No worker in the demo: tasks run at once and e-mails go to files; the reminder
        # check runs in a thread while serving (see below).
        "BALM_TASKS_BACKEND": "immediate",
        "BALM_EMAIL_FILE_DIR": str(emails),
        "BALM_LOG_LEVEL": os.environ.get("BALM_LOG_LEVEL", "WARNING"),
    }
    os.environ.pop("DATABASE_URL", None)  # the demo always uses its own SQLite file
    os.environ.pop("BALM_EMAIL_HOST", None)  # and never e-mails anyone
    if host not in ("127.0.0.1", "localhost"):
        env["BALM_ALLOWED_HOSTS"] = "*"
    _django(env)
    _manage("migrate", "--verbosity", "0")
    from balm.web.demo import load_demo

    info = load_demo()
    banner = demo_banner(info, data_dir=data_dir, site_url=site_url, serving=serve)
    if serve:
        _serve_with_reminders(f"{host}:{port}", reminder_interval, banner)
    else:
        typer.echo(banner)


def demo_banner(info: DemoInfo, *, data_dir: Path, site_url: str, serving: bool) -> str:
    """What a newcomer needs, printed last: where things are, then the log-ins and links."""
    lines = [
        "",
        f"balm demo: {info.site} ({'loaded now' if info.created else 'already loaded'})",
        f"Database: {data_dir / 'balm.sqlite3'}",
        f"E-mails it sends (alerts, questionnaire links) are written to: {data_dir / 'emails'}",
        "Questionnaires balm ships without wording (PDI, CPAQ-8, FSCRS, PSEQ) show placeholder"
        " wording, marked as such.",
        "",
        f"Log in at {site_url}/login/ with:",
        *(
            f"  {role:<14} username {username:<12} password {password}"
            for role, username, password in info.logins
        ),
        "",
        "Personal links (participants answer without an account):",
        *(f"  {pseudonym:<8} {site_url}{path}" for pseudonym, path in info.links),
        "",
        "Everything here is synthetic."
        + (f" Serving at {site_url}/ ; press Ctrl+C to stop." if serving else ""),
        "",
    ]
    return "\n".join(lines)


def _serve_with_reminders(address: str, reminder_interval: float, banner: str) -> None:
    """Django's server, with the questionnaire e-mail check in a daemon thread beside it.

    The server's own start-up lines are not shown (its errors still are), so ``banner`` is the
    last thing printed before the request log."""
    import io

    from balm.outcomes.reminders import ReminderSchedule

    schedule = ReminderSchedule(reminder_interval)
    schedule.start()
    typer.echo(banner)
    try:
        _manage("runserver", "--noreload", address, stdout=io.StringIO())
    finally:
        schedule.stop()


def _default_workers() -> int:
    """gunicorn's usual rule of thumb: two per core, plus one."""
    return (os.cpu_count() or 1) * 2 + 1


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
    workers: Annotated[
        int | None,
        typer.Option(min=1, show_default=False, help="Server processes (default: 2 per core + 1)."),
    ] = None,
    threads: Annotated[int, typer.Option(min=1, help="Threads per server process.")] = 4,
) -> None:
    """Serve an existing database (DATABASE_URL, or SQLite in BALM_DATA_DIR) with gunicorn,
    a production WSGI server, on http://HOST:PORT. Put a TLS proxy in front of it, and run
    ``balm worker`` beside it for e-mail."""
    _use_data_dir()
    _django({})
    if migrate:
        _manage("migrate", "--verbosity", "1")
    from django.conf import settings
    from django.db import connections

    if not settings.DEBUG:
        _manage("collectstatic", "--noinput", "--verbosity", "0")
    connections.close_all()  # the server's processes are forked from this one
    from balm.web.server import serve

    typer.echo(f"balm: serving on http://{host}:{port} (Ctrl+C to stop)")
    serve(bind=f"{host}:{port}", workers=workers or _default_workers(), threads=threads)


def worker(
    reminder_interval: Annotated[
        float | None,
        typer.Option(
            min=0,
            show_default=False,
            help="Seconds between checks for due questionnaire e-mails (0: never). "
            "Default: the BALM_REMINDER_INTERVAL setting (900).",
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option(min=0, help="Seconds to wait before polling an empty queue again.")
    ] = 1,
    queue_name: Annotated[
        str, typer.Option(help="Queues to run, comma-separated; '*' for all.")
    ] = "default",
    batch: Annotated[
        bool,
        typer.Option(help="Check for due e-mails once, run every queued task, then exit."),
    ] = False,
    max_tasks: Annotated[
        int | None, typer.Option(min=1, help="Exit after running this many tasks.")
    ] = None,
) -> None:
    """Run background tasks from the database queue (alert and questionnaire e-mails) and
    check for due questionnaire e-mails every --reminder-interval seconds. Run one or more per
    service; Ctrl+C or SIGTERM stops it after the current task. Same as ``balm manage worker``,
    which also takes every ``db_worker`` option."""
    _use_data_dir()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balm.web.settings")
    import django
    from django.core.management import call_command
    from django.core.management.base import CommandError

    django.setup()
    args = [f"--interval={interval}", f"--queue-name={queue_name}", "--no-reload"]
    if reminder_interval is not None:  # otherwise the command's default: the setting
        args.append(f"--reminder-interval={reminder_interval}")
    if batch:
        args.append("--batch")
    if max_tasks is not None:
        args.append(f"--max-tasks={max_tasks}")
    try:
        call_command("worker", *args)
    except CommandError as error:
        typer.echo(f"balm worker: {error}", err=True)
        if "not a database backend" in str(error):
            typer.echo("balm worker needs BALM_TASKS_BACKEND=database (the default).", err=True)
        raise typer.Exit(2) from None


def _use_data_dir() -> None:
    """``BALM_DATA_DIR`` made absolute (and created, for SQLite)."""
    data_dir = Path(os.environ.get("BALM_DATA_DIR", "var")).resolve()
    if "DATABASE_URL" not in os.environ:
        data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["BALM_DATA_DIR"] = str(data_dir)


def manage(ctx: typer.Context) -> None:
    """Any Django management command, e.g. ``balm manage send_due_reminders`` or
    ``balm manage createsuperuser``."""
    _use_data_dir()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balm.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["balm manage", *ctx.args])


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("demo")(demo)
    app.command("serve")(serve_cmd)
    app.command("worker")(worker)
    app.command(
        "manage",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(manage)
