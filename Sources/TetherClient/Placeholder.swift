import WSClient
