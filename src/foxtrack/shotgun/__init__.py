"""ShotGrid (formerly Shotgun) import: Zou's legacy ``/import/shotgun/*`` routes.

A ShotGrid sync script posts the entries it read from ShotGrid's API (JSON arrays shaped as ShotGrid
answers them); each kind is created or updated by its ``shotgun_id``. ``remove/<kind>`` drops what
ShotGrid deleted, ``errors`` keeps the entries a script could not send.

Every route is for admins. Zou checks the admin role on the imports only; its ``remove/<kind>``
and ``errors`` routes take any logged-in account, which would let an artist delete a production by
its ShotGrid id: foxtrack refuses them below admin on purpose (403).
"""
