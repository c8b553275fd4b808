import { Octokit } from '@octokit/rest'

const octokit = new Octokit({
  auth: process.env.SEAMLINE_PROXY_TOKEN,
  baseUrl: `${process.env.SEAMLINE_URL}/proxy/github`,
})
const { data } = await octokit.rest.users.getAuthenticated()
console.log(data.login)
