"""The /api/v1 blueprints, one per purpose, and the error handlers they share."""
from routes import accounts, admin, claims, class_photos, console, corrections, health, kiosk, leave, openapi, privacy
from routes import answers, reports, sessions, term_reports, terms, webhooks
from routes.errors import register_error_handlers
from services import webhooks as webhook_events

BLUEPRINTS = (accounts.bp, sessions.bp, class_photos.bp, corrections.bp, reports.bp, health.bp,
              terms.bp, term_reports.bp, admin.bp, privacy.bp, kiosk.bp, leave.bp, webhooks.bp, claims.bp, console.bp)


def register(app):
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(openapi.bp)  # last: it documents the routes registered before it
    openapi.check_declared(app)
    register_error_handlers(app)
    webhook_events.records_json = answers.records_by_id_json
