from services.donations.app import MIGRATIONS, create_app
from services.donations.settings import DonationsSettings
from tests.support import service_fixtures

database_url, app, committing_app = service_fixtures(MIGRATIONS, create_app, DonationsSettings)
