"""The one-time codes that prove an invited address: six digits, valid CODE_TTL, stored only as
an HMAC under SECRET_KEY bound to the account (six digits alone would be read back from a plain
hash of a stolen database in a moment). Drawn by the mail sender when it sends the mail
(services/mail.py), so neither the outbox nor any other table ever holds a code in clear."""
import hashlib
import hmac
import secrets
from datetime import timedelta

from models import EmailClaim, db
from services import clock

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=30)


def digest(secret_key, user_id, code):
    return hmac.new(str(secret_key).encode(), f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def draw_code(user_id, secret_key):
    """A fresh code for ``user_id``, its HMAC committed (replacing the last code and its count of
    guesses); returns the mail's text, or None when no proof is awaited any more."""
    claim = db.session.get(EmailClaim, user_id)
    if claim is None:
        return None
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    claim.code_hash, claim.expires_at, claim.attempts = (digest(secret_key, user_id, code),
                                                         clock.utc_naive() + CODE_TTL, 0)
    db.session.commit()
    minutes = int(CODE_TTL.total_seconds() // 60)
    return (f"Your Rollcall code is {code}.\n\nEnter it in Rollcall within {minutes} minutes to join the classes "
            "that invited this address. If you did not create a Rollcall account, ignore this mail: nobody "
            "joins those classes without the code.\n")
