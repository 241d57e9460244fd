from django.urls import path

from commissions import views

app_name = "commissions"
urlpatterns = [
    path("", views.CommissionListView.as_view(), name="list"),
    path("<int:pk>/", views.commission_detail, name="detail"),
]
