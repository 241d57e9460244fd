from django.urls import reverse


def test_home_shows_greeting_for_admin(client_for, alice):
    response = client_for(alice).get(reverse("home"))
    assert response.status_code == 200
    assert "Olá, Alice" in response.text
    assert "M000000000LL" in response.text


def test_user_without_modules_gets_welcome_page(client_for, bob):
    response = client_for(bob).get(reverse("home"))
    assert response.status_code == 200
    assert "Nenhum módulo" in response.text or "pages you need" in response.text
