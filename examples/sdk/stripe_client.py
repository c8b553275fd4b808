import os

import stripe

stripe.api_key = os.environ["SEAMLINE_PROXY_TOKEN"]
stripe.api_base = os.environ["SEAMLINE_URL"] + "/proxy/stripe"
customer = stripe.Customer.create(email="ada@example.com")
print(customer.id)
