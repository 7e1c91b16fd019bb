from services.partners.app import MIGRATIONS, create_app
from services.partners.settings import PartnersSettings
from tests.support import service_fixtures

database_url, app, committing_app = service_fixtures(MIGRATIONS, create_app, PartnersSettings)
