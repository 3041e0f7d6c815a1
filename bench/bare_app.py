"""The ceiling for serving benchmarks: a FastAPI endpoint that parses a JSON body and returns a
constant. Run with the generated project's Python: ``python bare_app.py PORT``."""

import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.post("/constant")
async def constant(payload: dict) -> dict:
    return {"prediction": "constant"}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
