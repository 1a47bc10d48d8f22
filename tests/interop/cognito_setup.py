"""Sets up a Cognito user pool on a running moto server with boto3, signs a user in, and
prints what tollgate's interop test needs as one JSON object on stdout.

    .interop/venv/bin/python tests/interop/cognito_setup.py http://127.0.0.1:PORT REGION

Creates: a user pool; two app clients (`app-a`, `app-b`) allowing USER_PASSWORD_AUTH; a user
`alice` with a permanent password; a group `admin` with alice in it. Then signs alice in to each
client with USER_PASSWORD_AUTH and prints the real access and ID tokens moto issued.
"""

import json
import sys

import boto3


def main() -> None:
    endpoint, region = sys.argv[1], sys.argv[2]
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pool = idp.create_user_pool(PoolName="tollgate-interop")["UserPool"]["Id"]
    clients = {}
    for name in ("app-a", "app-b"):
        clients[name] = idp.create_user_pool_client(
            UserPoolId=pool,
            ClientName=name,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
    password = "Correct-Horse-9!"
    idp.admin_create_user(UserPoolId=pool, Username="alice", MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool, Username="alice", Password=password, Permanent=True
    )
    idp.create_group(UserPoolId=pool, GroupName="admin")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName="admin")

    tokens = {}
    for name, client_id in clients.items():
        result = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": password},
        )["AuthenticationResult"]
        tokens[name] = {"access": result["AccessToken"], "id": result["IdToken"]}

    json.dump({"pool_id": pool, "clients": clients, "tokens": tokens}, sys.stdout)


if __name__ == "__main__":
    main()
