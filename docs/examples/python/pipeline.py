#!/usr/bin/env python3
"""A pipeline driving fedlora over its gRPC API (fedlora.v1): create a job, watch its rounds live,
download the adapter the last round published.

Stubs: generate them from the project's proto/ once (docs/integrations.md):
    python3 -m grpc_tools.protoc -I proto/src/main/proto --python_out=stubs --grpc_python_out=stubs \
        $(cd proto/src/main/proto && find fedlora -name '*.proto')
then run with PYTHONPATH=stubs:
    python3 docs/examples/python/pipeline.py --coordinator HOST:PORT --credentials DIR \
        --job-config job.json --out adapter.safetensors
DIR holds an operator certificate (client.crt, client.key, ca.crt) made by `fedlora enroll`;
job.json is what `fedlora admin job-config --model MODEL_DIR ...` printed.
"""
import argparse
import hashlib
import pathlib
import sys

import grpc
from google.protobuf import json_format

from fedlora.v1 import admin_pb2, admin_pb2_grpc, common_pb2


def channel(target, credentials_dir):
    d = pathlib.Path(credentials_dir)
    creds = grpc.ssl_channel_credentials(
        root_certificates=(d / "ca.crt").read_bytes(),
        private_key=(d / "client.key").read_bytes(),
        certificate_chain=(d / "client.crt").read_bytes())
    return grpc.secure_channel(target, creds)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--coordinator", required=True, help="HOST:PORT of the coordinator's gRPC API")
    p.add_argument("--credentials", required=True, help="directory with client.crt, client.key, ca.crt")
    p.add_argument("--job-config", required=True, help="JSON from `fedlora admin job-config`")
    p.add_argument("--rounds", type=int, help="override the config's number of rounds")
    p.add_argument("--out", required=True, help="where to write the final adapter (safetensors)")
    args = p.parse_args()

    config = json_format.Parse(pathlib.Path(args.job_config).read_text(), common_pb2.JobConfig())
    if args.rounds:
        config.rounds = args.rounds

    with channel(args.coordinator, args.credentials) as ch:
        admin = admin_pb2_grpc.AdminServiceStub(ch)
        job = admin.CreateJob(admin_pb2.CreateJobRequest(config=config), timeout=30)
        ref = admin_pb2.JobRef(job_id=job.job_id)
        admin.StartJob(ref, timeout=30)
        print(f"job {job.job_id} started: {config.rounds} rounds", flush=True)

        # Ended rounds first (replay), then each round as it ends; the stream closes with the job.
        last_version = 0
        for r in admin.WatchJob(ref):
            state = admin_pb2.RoundState.Name(r.state)
            print(f"round {r.round}: {state}, {len(r.contributing_nodes)} of {len(r.selected_nodes)} nodes,"
                  f" train loss {r.train_loss:.4f}, version {r.adapter_version}", flush=True)
            if r.adapter_version > last_version:
                last_version = r.adapter_version

        final = admin.GetJob(ref, timeout=30)
        print(f"job {final.job_id}: {admin_pb2.JobState.Name(final.state)} after {final.completed_rounds} rounds",
              flush=True)
        if last_version == 0:
            print("no adapter version was published", file=sys.stderr)
            return 1

        # The adapter arrives in chunks, each carrying the whole file's sha256: check it before keeping it.
        data = bytearray()
        expected = None
        for chunk in admin.DownloadAdapter(
                admin_pb2.DownloadAdapterRequest(job_id=job.job_id, version=last_version), timeout=120):
            if chunk.offset != len(data):
                raise SystemExit(f"chunk at offset {chunk.offset}, expected {len(data)}")
            data.extend(chunk.data)
            expected = chunk.sha256
        got = hashlib.sha256(data).hexdigest()
        if got != expected:
            raise SystemExit(f"adapter sha256 {got} does not match the coordinator's {expected}")
        pathlib.Path(args.out).write_bytes(bytes(data))
        print(f"adapter version {last_version}: {len(data)} bytes, sha256 {got}, written to {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
