import OpenAI from 'openai'

const openai = new OpenAI({
  apiKey: process.env.SEAMLINE_PROXY_TOKEN,
  baseURL: `${process.env.SEAMLINE_URL}/proxy/openai`,
})
const completion = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello' }],
})
console.log(completion.choices[0].message.content)
