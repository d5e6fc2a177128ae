"""The dashboard at ``/`` and its login and logout (Django's auth views)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.index, name="dashboard"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="dashboard/login.html"),
        name="login",
    ),
    # POST only (Django 5): the page's logout button is a form with the CSRF token.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
