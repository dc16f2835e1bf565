"""An S3-compatible storage (AWS, MinIO, Ceph, moto...): one bucket, keys ``<bucket>/<prefix>/<id>``.

Downloads are not copied through the server: ``url`` presigns a GET (with the content type and
disposition the client expects) and the route redirects to it.
"""

from __future__ import annotations

import threading
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import quote

from foxtrack.config import Settings
from foxtrack.storage import Stored


class S3Storage:
    def __init__(self, client: Any, bucket: str, url_seconds: int = 3600):
        self.client = client
        self.bucket = bucket
        self.url_seconds = url_seconds
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url or None, region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key or None, aws_secret_access_key=settings.s3_secret_key or None,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 3, "mode": "standard"}),
        )
        return cls(client, str(settings.s3_bucket), settings.s3_url_seconds)

    @staticmethod
    def key(bucket: str, prefix: str, key: str) -> str:
        return f"{bucket}/{prefix}/{key}"

    def _bucket(self) -> str:
        """The bucket, created on first use when it does not exist yet."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    from botocore.exceptions import ClientError

                    try:
                        self.client.head_bucket(Bucket=self.bucket)
                    except ClientError:
                        self.client.create_bucket(Bucket=self.bucket)
                    self._ready = True
        return self.bucket

    def save(self, bucket: str, prefix: str, key: str, source: Path | bytes) -> int:
        name = self.key(bucket, prefix, key)
        if isinstance(source, bytes):
            self.client.put_object(Bucket=self._bucket(), Key=name, Body=source)
            return len(source)
        self.client.upload_file(str(source), self._bucket(), name)
        return source.stat().st_size

    def stat(self, bucket: str, prefix: str, key: str) -> Stored | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self._bucket(), Key=self.key(bucket, prefix, key))
        except ClientError:
            return None
        modified = head["LastModified"].replace(tzinfo=head["LastModified"].tzinfo or UTC).timestamp()
        return Stored(int(head["ContentLength"]), modified, None)

    def exists(self, bucket: str, prefix: str, key: str) -> bool:
        return self.stat(bucket, prefix, key) is not None

    def fetch(self, bucket: str, prefix: str, key: str, target: Path) -> Path:
        from botocore.exceptions import ClientError

        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self._bucket(), self.key(bucket, prefix, key), str(target))
        except ClientError as exc:
            raise FileNotFoundError(self.key(bucket, prefix, key)) from exc
        return target

    def url(self, bucket: str, prefix: str, key: str, content_type: str, filename: str | None,
            attachment: bool) -> str | None:
        disposition = "attachment" if attachment else "inline"
        if filename:
            disposition += f"; filename*=utf-8''{quote(filename)}"
        return str(self.client.generate_presigned_url(
            "get_object", ExpiresIn=self.url_seconds,
            Params={"Bucket": self._bucket(), "Key": self.key(bucket, prefix, key),
                    "ResponseContentType": content_type, "ResponseContentDisposition": disposition},
        ))

    def delete(self, bucket: str, prefix: str, key: str) -> None:
        self.client.delete_object(Bucket=self._bucket(), Key=self.key(bucket, prefix, key))
