"""The API's routes, one APIRouter per resource; tempograph/http/app.py assembles them."""
