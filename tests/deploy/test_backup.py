"""deploy/backup.sh and deploy/restore.sh against a real PostgreSQL database of their own.

The database is migrated with `flask db upgrade`, filled through the app's models, backed
up, dropped, recreated empty and restored; every row of every table must come back.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from tests.support import IN_CI, RUN_ID, SECRET, TEST_DATABASE_URL, free_port, with_database
from tests.support.deploy import BIN, DEPLOY, clean_env, require_tool

BACKUP = DEPLOY / "backup.sh"
RESTORE = DEPLOY / "restore.sh"
# Trust authentication ignores it, but the scripts must never show it.
PASSWORD = "s3cr%40t:pw"
PASSWORD_DECODED = "s3cr@t:pw"


def needs_postgres() -> None:
    if not TEST_DATABASE_URL:
        message = "needs PostgreSQL: set TEST_DATABASE_URL"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    require_tool("pg_dump")
    require_tool("psql")


def url_with_password(url: str) -> str:
    """The app's spelling (postgresql+psycopg2://), with a password that needs decoding."""
    sa_url = sa.engine.make_url(url)
    user = sa_url.username or "postgres"
    host = f"{sa_url.host or '127.0.0.1'}:{sa_url.port or 5432}"
    return f"postgresql+psycopg2://{user}:{PASSWORD}@{host}/{sa_url.database}"


@pytest.fixture(scope="module")
def admin():
    needs_postgres()
    engine = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def database(admin, tmp_path_factory):
    """A dedicated database, migrated by the real `flask db upgrade`; dropped afterwards."""
    name = f"autochat_backup_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = url_with_password(with_database(TEST_DATABASE_URL, name))
    try:
        tmp = tmp_path_factory.mktemp("backup-migrate")
        migrated = subprocess.run(
            [str(BIN / "flask"), "--app", "main", "db", "upgrade"],
            cwd=DEPLOY.parent,
            env=clean_env(tmp, SESSION_SECRET=SECRET, DATABASE_URL=url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr
        yield name, url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def seed(url: str, tmp_path: Path) -> None:
    """Create conversations and messages through the app's own models."""
    from app import create_app
    from models import Conversation, Message, db

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": url},
        instance_path=str(tmp_path / "seed-instance"),
    )
    with app.app_context():
        for n in range(3):
            conversation = Conversation(owner_id=f"owner-{n}", title=f"Brakes squeal #{n} — ☃")
            db.session.add(conversation)
            db.session.flush()
            question = Message(
                conversation_id=conversation.id,
                role="user",
                content=f"Why do my brakes squeal? 'quote' \"double\" \\ backslash\n{n}",
                client_msg_id=f"client-{n}",
            )
            db.session.add(question)
            db.session.flush()
            db.session.add(
                Message(
                    conversation_id=conversation.id,
                    role="assistant",
                    content="Worn pads or glazed rotors. Ölwechsel prüfen 🚗",
                    status="ok" if n else "error",
                    error_kind=None if n else "provider_unavailable",
                    model="fake/model",
                    reply_to_id=question.id,
                    parent_id=question.id,
                    error_detail=None if n else {"reason": "Provider disconnected"},
                    prompt_tokens=50 + n,
                    completion_tokens=12,
                    cost=0.00123 * n,
                    context_dropped=n,
                )
            )
        db.session.commit()
        db.engine.dispose()


def add_message(url: str, tmp_path: Path, conversation_id: str) -> int:
    from app import create_app
    from models import Message, db

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": url},
        instance_path=str(tmp_path / "add-instance"),
    )
    with app.app_context():
        message = Message(conversation_id=conversation_id, role="user", content="after restore")
        db.session.add(message)
        db.session.commit()
        db.engine.dispose()
        return message.id


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    rows = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            # JSON columns have no ordering operator; the primary key orders every table.
            order = list(table.primary_key.columns) or [
                c for c in table.columns if not isinstance(c.type, sa.JSON)
            ]
            query = sa.select(table).order_by(*order)
            rows[table.name] = [tuple(row) for row in connection.execute(query)]
    engine.dispose()
    return rows


def run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(script), *args],
        env=clean_env(Path("/tmp"), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_no_password(result: subprocess.CompletedProcess) -> None:
    for text in (result.stdout, result.stderr):
        assert PASSWORD not in text
        assert PASSWORD_DECODED not in text


def test_backup_then_restore_into_a_new_database_gives_every_row_back(database, admin, tmp_path):
    name, url = database
    seed(url, tmp_path)
    before = snapshot(url)
    assert len(before["conversation"]) == 3
    assert len(before["message"]) == 6
    assert before["alembic_version"]

    backups = tmp_path / "backups"
    made = run(BACKUP, DATABASE_URL=url, BACKUP_DIR=str(backups))
    assert made.returncode == 0, made.stderr
    assert_no_password(made)
    [dump] = backups.glob("automotive-chat-*.sql.gz")
    assert oct(dump.stat().st_mode & 0o777) == "0o600"  # umask 077
    assert "CREATE TABLE public.message" in gzip.decompress(dump.read_bytes()).decode()

    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    assert snapshot(url) == {}

    restored = run(RESTORE, str(dump), DATABASE_URL=url)
    assert restored.returncode == 0, restored.stderr
    assert_no_password(restored)
    assert snapshot(url) == before

    # Sequences came back too: a new message continues after the restored ids.
    new_id = add_message(url, tmp_path, conversation_id=before["conversation"][0][0])
    assert new_id > max(row[0] for row in before["message"])
    assert snapshot(url) != before

    # Restoring over a database that has the tables replaces them (the dump has DROPs):
    # the message added since the backup is gone again.
    again = run(RESTORE, str(dump), DATABASE_URL=url)
    assert again.returncode == 0, again.stderr
    assert snapshot(url) == before


def test_retention_and_upload(database, tmp_path):
    _, url = database
    backups = tmp_path / "backups"
    backups.mkdir()
    day = 24 * 3600
    now = time.time()
    old = backups / "automotive-chat-20200101T000000Z.sql.gz"
    recent = backups / "automotive-chat-20200201T000000Z.sql.gz"
    unrelated = backups / "notes.txt"
    for path, age_days in ((old, 31), (recent, 29), (unrelated, 400)):
        path.write_bytes(b"x")
        os.utime(path, (now - age_days * day, now - age_days * day))
    uploads = tmp_path / "uploads"
    uploads.mkdir()

    made = run(
        BACKUP,
        DATABASE_URL=url,
        BACKUP_DIR=str(backups),
        BACKUP_RETENTION_DAYS="30",
        BACKUP_UPLOAD_CMD=f'cp "$1" {uploads}/ && echo "uploaded $(basename "$1")"',
    )
    assert made.returncode == 0, made.stderr
    assert_no_password(made)
    assert not old.exists()  # older than 30 days
    assert recent.exists() and unrelated.exists()
    [new] = [p for p in backups.glob("automotive-chat-*.sql.gz") if p != recent]
    assert (uploads / new.name).read_bytes() == new.read_bytes()
    assert f"uploaded {new.name}" in made.stdout
    assert f"deleted {old}" in made.stdout


def test_failed_backup_leaves_no_file_and_keeps_old_ones(tmp_path):
    require_tool("pg_dump")
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "automotive-chat-20200101T000000Z.sql.gz"
    old.write_bytes(b"x")
    long_ago = time.time() - 90 * 24 * 3600
    os.utime(old, (long_ago, long_ago))
    unreachable = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/nowhere"
    failed = run(BACKUP, DATABASE_URL=unreachable, BACKUP_DIR=str(backups))
    assert failed.returncode != 0
    assert_no_password(failed)
    assert sorted(p.name for p in backups.iterdir()) == [old.name]  # no partial, old kept


def test_restore_refuses_a_damaged_file_and_changes_nothing(database, tmp_path):
    _, url = database
    before = snapshot(url)
    backups = tmp_path / "backups"
    made = run(BACKUP, DATABASE_URL=url, BACKUP_DIR=str(backups))
    assert made.returncode == 0, made.stderr
    [dump] = backups.glob("*.sql.gz")
    truncated = tmp_path / "truncated.sql.gz"
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    refused = run(RESTORE, str(truncated), DATABASE_URL=url)
    assert refused.returncode == 1
    assert "nothing was changed" in refused.stderr
    assert snapshot(url) == before
    usage = run(RESTORE, DATABASE_URL=url)
    assert usage.returncode == 2
    assert "usage:" in usage.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg2://app:p%40ss%2Fw%3Ard@db.internal:5433/chat", "postgresql://app@db.internal:5433/chat"),
        ("postgres://app:p%40ss%2Fw%3Ard@db.internal/chat?sslmode=require", "postgresql://app@db.internal/chat?sslmode=require"),
        ("postgresql://app@db.internal/chat", "postgresql://app@db.internal/chat"),
    ],
)  # fmt: skip
def test_url_spellings_and_the_password_stays_off_the_command_line(tmp_path, url, expected):
    """pg_dump gets a plain postgresql:// URL; the password only in its environment."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "pg_dump.called"
    fake = bin_dir / "pg_dump"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" "${{PGPASSWORD-unset}}" > {record}\n')
    fake.chmod(0o755)
    result = run(
        BACKUP,
        DATABASE_URL=url,
        BACKUP_DIR=str(tmp_path / "backups"),
        PATH=f"{bin_dir}:{os.environ['PATH']}",
    )
    assert result.returncode == 0, result.stderr
    arguments, password = record.read_text().splitlines()
    assert f"--dbname={expected}" in arguments
    assert "p%40ss" not in arguments and "p@ss" not in arguments
    assert password == ("p@ss/w:rd" if "p%40ss" in url else "unset")
    assert "p@ss" not in result.stdout + result.stderr


def test_backup_file_names_sort_by_time(tmp_path):
    """UTC timestamps in the name: `ls` order is age order, across time zones."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pg_dump").write_text("#!/bin/sh\necho 'SELECT 1;'\n")
    (bin_dir / "pg_dump").chmod(0o755)
    result = run(
        BACKUP,
        DATABASE_URL="postgresql://h/db",
        BACKUP_DIR=str(tmp_path),
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        TZ="Pacific/Kiritimati",
    )
    assert result.returncode == 0, result.stderr
    [dump] = tmp_path.glob("automotive-chat-*.sql.gz")
    stamp = datetime.strptime(dump.name[16:32], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)


def test_instances_starting_together_migrate_once_and_all_start(admin, tmp_path):
    """Three `flask db upgrade` at once on an empty database: one migrates, none fails."""
    name = f"autochat_race_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = with_database(TEST_DATABASE_URL, name)
    try:
        upgrades = [
            subprocess.Popen(
                [str(BIN / "flask"), "--app", "main", "db", "upgrade"],
                cwd=DEPLOY.parent,
                env=clean_env(tmp_path / str(n), SESSION_SECRET=SECRET, DATABASE_URL=url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(3)
        ]
        results = [(p.wait(timeout=120), p.communicate()[1]) for p in upgrades]
        assert [code for code, _ in results] == [0, 0, 0], [err[-500:] for _, err in results]
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            head = ScriptDirectory(str(DEPLOY.parent / "migrations")).get_current_head()
            assert [row[0] for row in version] == [head]
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def seed_pictures(url: str, tmp_path: Path) -> dict[str, tuple[bytes, bytes]]:
    """A conversation whose question carries two pictures (made by the app's own
    re-encoder), shared by a link that copied them; returns {public id: (data, thumb)}."""
    import io

    from PIL import Image

    from app import create_app
    from images import process_image
    from models import Attachment, Conversation, Message, Share, SharePicture, db

    app = create_app(
        env={"SESSION_SECRET": SECRET, "DATABASE_URL": url},
        instance_path=str(tmp_path / "pictures-instance"),
    )
    noise = Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3))
    jpeg, png = io.BytesIO(), io.BytesIO()
    noise.save(jpeg, "JPEG", quality=90)
    noise.putalpha(128)
    noise.save(png, "PNG")
    with app.app_context():
        conversation = Conversation(owner_id="owner-pictures", title="Tire photo")
        db.session.add(conversation)
        db.session.flush()
        question = Message(conversation_id=conversation.id, role="user", content="This bulge?")
        for position, (raw, name) in enumerate(((jpeg, "tire.jpg"), (png, "leak.png"))):
            picture = process_image(
                raw.getvalue(), name, max_bytes=10 << 20, max_edge=1568, max_pixels=50_000_000
            )
            question.attachments.append(
                Attachment(
                    position=position,
                    filename=picture.filename,
                    content_type=picture.content_type,
                    width=picture.width,
                    height=picture.height,
                    byte_size=len(picture.data),
                    data=picture.data,
                    thumbnail_type=picture.thumbnail_type,
                    thumbnail=picture.thumbnail,
                )
            )
        db.session.add(question)
        db.session.flush()
        share, _ = Share.publish(conversation)
        db.session.flush()
        assert SharePicture.copy_for(share) == 2
        db.session.commit()
        stored = {
            a.public_id: (a.data, a.thumbnail)
            for a in db.session.scalars(
                db.select(Attachment)
                .where(Attachment.message_id == question.id)
                .options(db.undefer(Attachment.data), db.undefer(Attachment.thumbnail))
            )
        }
        db.engine.dispose()
    return stored


def picture_bytes(url: str) -> tuple[dict[str, tuple[bytes, bytes]], list[bytes]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        attachments = {
            row.public_id: (bytes(row.data), bytes(row.thumbnail))
            for row in connection.execute(
                sa.text("SELECT public_id, data, thumbnail FROM attachment")
            )
        }
        shared = [
            bytes(row.data)
            for row in connection.execute(
                sa.text("SELECT data FROM share_picture ORDER BY share_id, number")
            )
        ]
    engine.dispose()
    return attachments, shared


def test_pictures_come_back_byte_for_byte_after_backup_and_restore(database, admin, tmp_path):
    """Attachment and share-picture bytes (bytea) survive pg_dump and psql unchanged."""
    name, url = database
    stored = seed_pictures(url, tmp_path)
    attachments, shared = picture_bytes(url)
    assert {k: attachments[k] for k in stored} == stored
    assert len(shared) >= 2
    before = snapshot(url)

    backups = tmp_path / "backups"
    made = run(BACKUP, DATABASE_URL=url, BACKUP_DIR=str(backups))
    assert made.returncode == 0, made.stderr
    [dump] = backups.glob("automotive-chat-*.sql.gz")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    restored = run(RESTORE, str(dump), DATABASE_URL=url)
    assert restored.returncode == 0, restored.stderr

    assert picture_bytes(url) == (attachments, shared)
    assert snapshot(url) == before  # every other row too
