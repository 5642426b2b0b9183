"""Batches function: the Files API (POST/GET /v1/files, GET/DELETE /v1/files/{file_id},
GET /v1/files/{file_id}/content), the Batch API (POST/GET /v1/batches,
GET /v1/batches/{batch_id}, POST /v1/batches/{batch_id}/cancel) and batch uploads
(POST /v1/batches/uploads, GET /v1/batches/uploads/{upload_id})."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import batches, files, uploads

routes = files.routes + uploads.routes + batches.routes
app = create_app(routes)
handler = make_handler(app)
