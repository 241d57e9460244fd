from django.urls import path

from collaborators import views

app_name = "collaborators"
urlpatterns = [
    path("", views.CollaboratorListView.as_view(), name="list"),
    path("<int:pk>/", views.collaborator_edit, name="edit"),
    path("<int:pk>/desativar/", views.collaborator_deactivate, name="deactivate"),
    path("<int:pk>/reativar/", views.collaborator_reactivate, name="reactivate"),
]
