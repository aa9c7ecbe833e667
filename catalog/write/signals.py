"""Saving or deleting content through the ORM bumps the content version (catalog.site.caching).

Only the models themselves have receivers: a receiver on the through models would stop
Django from deleting their rows in bulk. Changes to a guide's categories and tags happen in
the same transaction as the guide's save (the admin saves both), and bulk writes such as the
importer's, a queryset ``update()`` or a bulk delete inside ``batch_of_changes()`` call
``catalog.write.versions.bump()`` themselves, once.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.models import Category, Guide, Tag
from catalog.write import versions


@receiver(post_save, sender=Guide)
@receiver(post_save, sender=Category)
@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Guide)
@receiver(post_delete, sender=Category)
@receiver(post_delete, sender=Tag)
def content_changed(sender, instance, raw=False, **kwargs):
    if not raw and not versions.in_batch_of_changes():
        versions.bump([instance.pk] if sender is Guide else [])
