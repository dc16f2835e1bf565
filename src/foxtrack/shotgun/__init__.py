"""ShotGrid (formerly Shotgun) import: Zou's legacy ``/import/shotgun/*`` routes.

A ShotGrid sync script posts the entries it read from ShotGrid's API (JSON arrays shaped as ShotGrid
answers them); each kind is created or updated by its ``shotgun_id``. ``remove/<kind>`` drops what
ShotGrid deleted, ``errors`` keeps the entries a script could not send.
"""
