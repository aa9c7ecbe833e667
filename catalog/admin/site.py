"""The admin site's own settings: the throttled login form and its titles."""

from django.contrib import admin

from catalog.admin.security import ThrottledLoginForm

admin.site.login_form = ThrottledLoginForm
admin.site.site_header = "Guides administration"
admin.site.site_title = "Guides admin"
