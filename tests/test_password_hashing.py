"""Staff passwords: argon2id at OWASP's recommended cost (cheap only in the tests)."""

from argon2 import extract_parameters
from argon2.low_level import Type

from prep_app.services import passwords


def test_production_hashes_are_argon2id_at_owasps_recommended_cost(app):
    app.config["PASSWORD_HASH_COST"] = "normal"
    with app.app_context():
        digest = passwords.hash_password("a calm and careful clinic day")
    params = extract_parameters(digest)
    assert digest.startswith("$argon2id$")
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        Type.ID, 19456, 2, 1)
