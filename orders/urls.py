from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("<str:number>/", views.order_detail, name="detail"),
    path("nf/<int:pk>/<str:kind>/", views.invoice_file, name="invoice_file"),
]
