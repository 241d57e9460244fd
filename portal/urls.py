from allauth.account import views as allauth_views
from django.contrib import admin
from django.urls import include, path

from accounts.forms import StaffLoginForm
from portal import views

admin.site.login_form = StaffLoginForm
admin.site.site_header = "Partner Portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("entrar/", allauth_views.login, name="account_login"),
    path("sair/", allauth_views.logout, name="account_logout"),
    path("pedidos/", include("orders.urls")),
    path("comissoes/", include("commissions.urls")),
    path("colaboradores/", include("collaborators.urls")),
    path("admin/", admin.site.urls),
]
