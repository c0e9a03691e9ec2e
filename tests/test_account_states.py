"""Account states (issue 27, finding 9): reactivation returns to the state before the
suspension, suspension revokes tokens, the last active administrator stays, and what is done
to an administrator is audited."""
import json

from sqlalchemy import func, select

from models import ADMIN, TEACHER, AuditEntry, Token, User, db
from services import accounts, auth
from tests.helpers import CHEAP_PASSWORD_HASH, PASSWORD, assert_error, concurrently, post


def admin_call(client, who, path, **fields):
    email, token = who
    return post(client, path, token, email_id=email, **fields)


def make_admin(email):
    user = accounts.create_user(ADMIN, email, email.split("@")[0], PASSWORD, None, CHEAP_PASSWORD_HASH)
    token, _ = auth.issue_token(user, 3600)
    db.session.commit()
    return email, token


def status_of(email, role):
    db.session.expire_all()
    return db.session.scalar(select(User.status).where(User.email == email, User.role == role))


def set_status(client, who, email, role, action):
    return admin_call(client, who, "admin_set_user_status", user_email_id=email, user_type=str(role), action=action)


def test_a_pending_teacher_suspended_then_reactivated_is_pending_again(client, it):
    accounts.create_user(TEACHER, "new@school.test", "New", PASSWORD, None, CHEAP_PASSWORD_HASH,
                                status="pending_approval")
    db.session.commit()
    assert set_status(client, it, "new@school.test", TEACHER, "suspend").status_code == 200
    response = set_status(client, it, "new@school.test", TEACHER, "reactivate")
    assert response.status_code == 200 and response.get_json()["user"]["status"] == "pending_approval"
    assert status_of("new@school.test", TEACHER) == "pending_approval"
    assert_error(post(client, "login_teacher", email_id="new@school.test", passwd_hash=PASSWORD),
                 403, "pending_approval")
    assert set_status(client, it, "new@school.test", TEACHER, "approve").status_code == 200
    assert status_of("new@school.test", TEACHER) == "active"
    # an active one suspended and reactivated is active again
    set_status(client, it, "new@school.test", TEACHER, "suspend")
    set_status(client, it, "new@school.test", TEACHER, "reactivate")
    assert status_of("new@school.test", TEACHER) == "active"


def test_suspension_revokes_every_token_of_the_account(client, it, teacher):
    email, _ = teacher
    user = db.session.scalar(select(User).where(User.email == email))
    auth.issue_token(user, 3600)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(Token.user_id == user.id)) == 2
    assert set_status(client, it, email, TEACHER, "suspend").status_code == 200
    assert db.session.scalar(select(func.count()).where(Token.user_id == user.id)) == 0


def test_the_last_active_admin_can_be_neither_suspended_nor_erased(client, it):
    other = make_admin("other@school.test")
    # two admins: one may suspend the other, who then cannot suspend or erase the last one
    assert set_status(client, it, "other@school.test", ADMIN, "suspend").status_code == 200
    assert set_status(client, it, "other@school.test", ADMIN, "reactivate").status_code == 200
    other = ("other@school.test", post(client, "login_admin", email_id="other@school.test",
                                       passwd_hash=PASSWORD).get_json()["token"])
    assert set_status(client, other, "it@school.test", ADMIN, "suspend").status_code == 200
    assert_error(set_status(client, it, "other@school.test", ADMIN, "suspend"), 401, "token_invalid")
    # "other" is now the only active admin: nobody can take them out of service
    assert_error(admin_call(client, other, "delete_my_account", passwd_hash=PASSWORD), 409, "last_admin")
    assert status_of("other@school.test", ADMIN) == "active"
    assert set_status(client, other, "it@school.test", ADMIN, "reactivate").status_code == 200
    it_token = post(client, "login_admin", email_id="it@school.test", passwd_hash=PASSWORD).get_json()["token"]
    it = ("it@school.test", it_token)
    assert admin_call(client, it, "admin_erase_user", user_email_id="other@school.test",
                      user_type=str(ADMIN)).status_code == 200
    assert_error(admin_call(client, it, "delete_my_account", passwd_hash=PASSWORD), 409, "last_admin")
    assert status_of("it@school.test", ADMIN) == "active"


def test_the_commands_keep_the_last_active_admin(app, it):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "set-status", "it@school.test", "suspend", "--role", "admin"])
    assert result.exit_code != 0 and "last active administrator" in result.output
    result = runner.invoke(args=["users", "erase", "it@school.test", "--role", "admin"])
    assert result.exit_code != 0 and "last active administrator" in result.output
    assert status_of("it@school.test", ADMIN) == "active"


def test_two_admins_suspending_each_other_at_once_leave_one_active(app, it):
    other = make_admin("other@school.test")
    pairs = iter([(it, "other@school.test"), (other, "it@school.test")])
    lock = __import__("threading").Lock()

    def suspend(client):
        with lock:
            who, target = next(pairs)
        return set_status(client, who, target, ADMIN, "suspend")

    statuses = concurrently(app, 2, suspend)
    assert statuses in ([200, 409], [200, 401], [200, 403])
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(User.role == ADMIN, User.status == "active")) == 1


def test_actions_on_admins_are_audited_with_their_actor(client, it):
    make_admin("other@school.test")
    set_status(client, it, "other@school.test", ADMIN, "suspend")
    set_status(client, it, "other@school.test", ADMIN, "reactivate")
    admin_call(client, it, "admin_erase_user", user_email_id="other@school.test", user_type=str(ADMIN))
    actor = db.session.scalar(select(User.id).where(User.email == "it@school.test"))
    subject = db.session.scalar(select(User.id).where(User.role == ADMIN, User.id != actor))
    entries = db.session.execute(select(AuditEntry.kind, AuditEntry.actor_id, AuditEntry.detail)
                                 .where(AuditEntry.subject_id == subject).order_by(AuditEntry.id)).all()
    kinds = [kind for kind, _, _ in entries]
    assert kinds[-3:] == ["admin.suspend", "admin.reactivate", "erase.account"]
    assert all(actor_id == actor for _, actor_id, _ in entries[-3:])
    assert json.loads(entries[-3][2]) == {"from": "active", "to": "suspended"}
