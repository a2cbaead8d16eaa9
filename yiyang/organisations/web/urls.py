from yiyang.core.web.routes import resource_pages
from yiyang.organisations.web import views

app_name = "organisations"

urlpatterns = resource_pages(views, "organisation", "list", "create", "export", "detail", "edit")
